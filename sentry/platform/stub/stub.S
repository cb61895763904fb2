/*
 * The stub: the only code in an application address space that is not the
 * application's. It is exec'd from a memfd into a fresh process, which the
 * sentry then empties of everything but this page and a scratch page.
 *
 * Offset 0 is "syscall; int3": the sentry injects a host syscall by pointing
 * rip here and continuing until the int3 trap. _start never runs to
 * completion under the sentry: the exec stop comes first.
 *
 * Offset 16 is park: where a new host thread or forked process waits, not
 * traced, until the sentry thread that will run it attaches. It peeks at the
 * stub's socket (descriptor 0), which wakes it only when the sentry goes
 * away (EOF): then it exits, so a handover cut short leaves no process.
 *
 * stub_cmpxchg: "lock cmpxchg %esi,(%rdi); int3", run like the injection
 * point (eax = expected, esi = new, rdi = address; eax = value found) so a
 * futex word is updated atomically against the application's own threads.
 * The sentry finds it by its bytes. A fault in it stops the thread with
 * SIGSEGV/SIGBUS, which the sentry reports as EFAULT and never delivers.
 *
 * stub_atomic_op, 16 bytes after stub_cmpxchg: FUTEX_WAKE_OP's
 * read-modify-write (edx = FUTEX_OP_SET/ADD/OR/ANDN/XOR, esi = oparg,
 * rdi = address; eax = the old value), a lock cmpxchg loop run at the
 * CPU's speed so that an application thread updating the same word in a
 * tight loop cannot starve it (one injection per attempt would). Its only
 * int3 is the last instruction; faults are reported as for stub_cmpxchg.
 */
	.section .text.stub, "ax"
	.globl stub_syscall
stub_syscall:
	syscall
	int3
	.globl _start
_start:
	int3
	jmp _start

	.balign 16
	.globl stub_park
stub_park:
	mov $45, %eax			/* recvfrom(0, scratch+0xf00, 1, MSG_PEEK, 0, 0) */
	xor %edi, %edi
	movabs $0x7ff000001f00, %rsi
	mov $1, %edx
	mov $2, %r10d
	xor %r8d, %r8d
	xor %r9d, %r9d
	syscall
	cmp $1, %rax			/* a message for someone else: look again */
	je stub_park
	cmp $-4, %rax			/* EINTR */
	je stub_park
	mov $231, %eax			/* EOF or error: the sentry is gone */
	xor %edi, %edi
	syscall
	jmp stub_park

	.balign 16
	.globl stub_cmpxchg
stub_cmpxchg:
	lock cmpxchg %esi, (%rdi)
	int3

	.balign 16
	.globl stub_atomic_op
stub_atomic_op:
	mov (%rdi), %eax
1:	mov %esi, %ecx			/* FUTEX_OP_SET */
	test %edx, %edx
	je 3f
	mov %eax, %ecx
	cmp $1, %edx			/* FUTEX_OP_ADD */
	jne 2f
	add %esi, %ecx
	jmp 3f
2:	cmp $2, %edx			/* FUTEX_OP_OR */
	jne 4f
	or %esi, %ecx
	jmp 3f
4:	cmp $3, %edx			/* FUTEX_OP_ANDN */
	jne 5f
	mov %esi, %r8d
	not %r8d
	and %r8d, %ecx
	jmp 3f
5:	xor %esi, %ecx			/* FUTEX_OP_XOR */
3:	lock cmpxchg %ecx, (%rdi)
	jne 1b
	int3
	.section .note.GNU-stack, "", @progbits
