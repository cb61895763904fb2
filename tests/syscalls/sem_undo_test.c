/* semop SEM_UNDO: a process's adjustments are applied when it exits. */
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

#include "harness.h"

union semun_ {
	int val;
	unsigned short *array;
};

static int new_set(int v0)
{
	int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (id >= 0)
		semctl(id, 0, SETVAL, (union semun_){.val = v0});
	return id;
}

static int op(int id, int num, int delta, int flg)
{
	struct sembuf b = {(unsigned short)num, (short)delta, (short)flg};
	return semop(id, &b, 1);
}

static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

TEST(undo_reverts_a_dead_process_operations)
{
	int id = EXPECT_SYS(new_set(3));

	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 0, 2, SEM_UNDO) || op(id, 0, -4, SEM_UNDO) || op(id, 1, 5, 0) ? 1 : 0);
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 3);
	EXPECT_EQ(semctl(id, 0, GETPID), pid);
	EXPECT_EQ(semctl(id, 1, GETVAL), 5); /* no SEM_UNDO: stays */
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
}

TEST(undo_clamps_at_zero)
{
	int id = EXPECT_SYS(new_set(0));
	int p[2], q[2];
	char c;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(pipe(q));
	pid_t pid = fork();
	if (pid == 0) {
		if (op(id, 0, 5, SEM_UNDO))
			_exit(1);
		(void)!write(p[1], "x", 1);
		(void)!read(q[0], &c, 1);
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_SYS(op(id, 0, -4, 0));
	EXPECT_EQ(write(q[1], "y", 1), 1);
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
}

TEST(setval_clears_the_adjustment)
{
	int id = EXPECT_SYS(new_set(0));
	int p[2], q[2];
	char c;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(pipe(q));
	pid_t pid = fork();
	if (pid == 0) {
		if (op(id, 0, 3, SEM_UNDO) || op(id, 1, 3, SEM_UNDO))
			_exit(1);
		(void)!write(p[1], "x", 1);
		(void)!read(q[0], &c, 1);
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_SYS(semctl(id, 0, SETVAL, (union semun_){.val = 10}));
	EXPECT_EQ(write(q[1], "y", 1), 1);
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 10);
	EXPECT_EQ(semctl(id, 1, GETVAL), 0); /* semaphore 1 was still undone */
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
}

TEST(undo_of_a_dead_holder_wakes_a_waiter)
{
	int id = EXPECT_SYS(new_set(1));
	int p[2];
	char c;

	EXPECT_SYS(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		if (op(id, 0, -1, SEM_UNDO)) /* take the "lock" and die holding it */
			_exit(1);
		(void)!write(p[1], "x", 1);
		usleep(100000);
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_SYS(op(id, 0, -1, 0)); /* blocks until the child's exit undoes */
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	close(p[0]);
	close(p[1]);
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
}

static int thr_id;

static void *thr(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)op(thr_id, 0, 1, SEM_UNDO);
}

TEST(threads_share_the_process_adjustment)
{
	thr_id = EXPECT_SYS(new_set(0));
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t th;
		void *r;
		pthread_create(&th, NULL, thr, NULL);
		pthread_join(th, &r);
		/* A thread's exit undoes nothing. */
		_exit(r == NULL && semctl(thr_id, 0, GETVAL) == 1 ? 0 : 1);
	}
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_EQ(semctl(thr_id, 0, GETVAL), 0);
	EXPECT_SYS(semctl(thr_id, 0, IPC_RMID));
}

TEST(adjustment_out_of_range_is_erange)
{
	int id = EXPECT_SYS(new_set(32767));

	EXPECT_SYS(op(id, 0, -32767, SEM_UNDO)); /* adjustment +32767 */
	EXPECT_SYS(op(id, 0, 1, 0));
	EXPECT_ERRNO(op(id, 0, -1, SEM_UNDO), ERANGE);
	EXPECT_EQ(semctl(id, 0, GETVAL), 1);
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
}
