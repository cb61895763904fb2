/*
 * The stub: the only code in an application address space that is not the
 * application's. It is exec'd from a memfd into a fresh process, which the
 * sentry then empties of everything but this page.
 *
 * Offset 0 is "syscall; int3": the sentry injects a host syscall by pointing
 * rip here and continuing until the int3 trap. _start never runs to
 * completion under the sentry: the exec stop comes first.
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
	.section .note.GNU-stack, "", @progbits
