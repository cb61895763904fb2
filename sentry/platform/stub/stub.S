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
	.section .note.GNU-stack, "", @progbits
