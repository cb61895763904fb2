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
	.section .note.GNU-stack, "", @progbits
