/*
 * The systrap stub's fixed entry points, at fixed offsets from the start of
 * its code (SYSTRAP_BASE + SIZEOF_HEADERS, aligned): the sentry checks them
 * at start-up (systrap_init).
 *
 *   +0x00 inject:   "syscall; int3", where the sentry injects a host syscall
 *                   (ptrace, only while it holds the thread stopped)
 *   +0x10 _start:   waits (pause) until the sentry seizes the new process
 *   +0x20 enter:    a new thread's first instruction: the int3 makes a
 *                   signal frame that the sentry fills with the registers
 *                   the thread starts with
 *   +0x30 restorer: rt_sigreturn (every handler's sa_restorer)
 *   +0x40 .quad systrap_handler
 *   +0x50 batch:    a list of syscalls in one injection (below)
 */
	.section .text.stub, "ax"
	.globl stub_inject
stub_inject:
	syscall
	int3
	.balign 16
	.globl _start
_start:
	mov $34, %eax		/* pause */
	syscall
	jmp _start
	.balign 16
	.globl stub_enter
stub_enter:
	int3
	ud2
	.balign 16
	.globl stub_restorer
stub_restorer:
	mov $15, %eax		/* rt_sigreturn */
	syscall
	ud2
	.balign 16
	.quad systrap_handler
	.balign 16
/*
 * +0x50 batch: make rsi syscalls from the table at rdi, 64 bytes each
 * ({nr, six arguments, result}), stopping after the first that fails;
 * then int3. One ptrace stop for the whole setup of a stub.
 */
	.globl stub_batch
stub_batch:
	mov %rdi, %rbx
	mov %rsi, %r12
1:	test %r12, %r12
	jz 2f
	mov (%rbx), %rax
	mov 8(%rbx), %rdi
	mov 16(%rbx), %rsi
	mov 24(%rbx), %rdx
	mov 32(%rbx), %r10
	mov 40(%rbx), %r8
	mov 48(%rbx), %r9
	syscall
	mov %rax, 56(%rbx)
	cmp $-4095, %rax
	jae 2f
	add $64, %rbx
	dec %r12
	jmp 1b
2:	int3
	ud2

/*
 * The atomic futex word updates (SYSTRAP_CMD_CMPXCHG, _ATOMIC_OP), called
 * from the handler. A fault on the word (SIGSEGV/SIGBUS, which the
 * handlers leave unblocked) re-enters the handler, which sees the faulting
 * rip in [systrap_atomic_start, systrap_atomic_fault) and returns to
 * systrap_atomic_fault instead: the call then returns -EFAULT. Neither
 * routine touches the stack, so its `ret` works from there.
 *
 * long stub_cmpxchg(u32 *word, u32 old, u32 new): the value found.
 */
	.globl systrap_atomic_start, systrap_atomic_fault, stub_cmpxchg, stub_atomic_op
systrap_atomic_start:
stub_cmpxchg:
	mov %esi, %eax
	lock cmpxchg %edx, (%rdi)
	ret
/* long stub_atomic_op(u32 *word, int op, u32 oparg): the value replaced;
 * op is FUTEX_OP_SET 0, ADD 1, OR 2, ANDN 3, else XOR. */
stub_atomic_op:
	mov (%rdi), %eax
1:	mov %edx, %ecx
	cmp $0, %esi
	je 2f
	mov %eax, %ecx
	cmp $1, %esi
	jne 3f
	add %edx, %ecx
	jmp 2f
3:	cmp $2, %esi
	jne 4f
	or %edx, %ecx
	jmp 2f
4:	cmp $3, %esi
	jne 5f
	mov %edx, %r8d
	not %r8d
	and %r8d, %ecx
	jmp 2f
5:	xor %edx, %ecx
2:	lock cmpxchg %ecx, (%rdi)
	jne 1b
	ret
systrap_atomic_fault:
	mov $-14, %rax
	ret

	.section .note.GNU-stack, "", @progbits
