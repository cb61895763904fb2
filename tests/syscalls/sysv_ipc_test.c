/* System V IPC: shared memory, semaphores, message queues. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "harness.h"

TEST(a_segment_is_shared_across_fork)
{
	int id = (int)EXPECT_SYS(shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600));
	char *p = shmat(id, NULL, 0);
	struct shmid_ds ds;
	int st;

	if (!EXPECT_NE(p, (void *)-1))
		return;
	strcpy(p, "parent");
	EXPECT_SYS(shmctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.shm_segsz, 10000);
	EXPECT_EQ(ds.shm_nattch, 1);
	EXPECT_EQ(ds.shm_perm.mode & 0777, 0600);
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		char *q = shmat(id, NULL, 0);
		if (q == (void *)-1 || strcmp(q, "parent") != 0)
			_exit(1);
		strcpy(q, "child");
		_exit(shmdt(q) == 0 ? 0 : 2);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	EXPECT_STREQ(p, "child");
	EXPECT_SYS(shmctl(id, IPC_RMID, NULL));
	EXPECT_SYS(shmdt(p));
	EXPECT_ERRNO(shmdt(p), EINVAL);
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL); /* gone with its last attach */
}

TEST(keys_and_errors)
{
	key_t key = 0x5e17e000 + (getpid() & 0xfff);
	int id = (int)EXPECT_SYS(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));

	EXPECT_EQ(shmget(key, 4096, 0), id);
	EXPECT_ERRNO(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	EXPECT_ERRNO(shmget(key, 8192, 0), EINVAL);
	EXPECT_ERRNO(shmget(key + 1, 4096, 0), ENOENT);
	EXPECT_ERRNO(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	EXPECT_ERRNO(shmat(id, (void *)0x1001, 0), EINVAL);
	char *r = shmat(id, NULL, SHM_RDONLY);
	if (EXPECT_NE(r, (void *)-1))
		EXPECT_SYS(shmdt(r));
	EXPECT_ERRNO(shmat(-5, NULL, 0), EINVAL);
	EXPECT_SYS(shmctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(shmget(key, 4096, 0), ENOENT);
}

union semun_ {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

TEST(semaphores_block_and_wake_across_processes)
{
	int id = (int)EXPECT_SYS(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	struct sembuf down = {0, -1, 0}, up = {0, 1, 0}, nowait = {0, -1, IPC_NOWAIT};
	union semun_ arg;
	int st;

	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	EXPECT_ERRNO(semop(id, &nowait, 1), EAGAIN);
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		_exit(semop(id, &up, 1) == 0 ? 0 : 1);
	}
	EXPECT_SYS(semop(id, &down, 1)); /* waits for the child's up */
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	arg.val = 5;
	EXPECT_SYS(semctl(id, 1, SETVAL, arg));
	EXPECT_EQ(semctl(id, 1, GETVAL), 5);
	EXPECT_EQ(semctl(id, 1, GETPID), getpid());
	struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -1, 0}};
	EXPECT_ERRNO(semop(id, two, 2), EAGAIN); /* all or nothing */
	EXPECT_EQ(semctl(id, 1, GETVAL), 5);
	struct timespec ts = {0, 20 * 1000 * 1000};
	EXPECT_ERRNO(semtimedop(id, &down, 1, &ts), EAGAIN);
	struct sembuf bad = {7, 1, 0};
	EXPECT_ERRNO(semop(id, &bad, 1), EFBIG);
	EXPECT_SYS(semctl(id, 0, IPC_RMID));
	EXPECT_ERRNO(semctl(id, 0, GETVAL), EINVAL);
	EXPECT_ERRNO(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
}

struct qmsg {
	long type;
	char text[16];
};

TEST(message_queues_by_type)
{
	int id = (int)EXPECT_SYS(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	struct qmsg m = {2, "two"}, got;
	int st;

	EXPECT_SYS(msgsnd(id, &m, 4, 0));
	m.type = 1;
	strcpy(m.text, "one");
	EXPECT_SYS(msgsnd(id, &m, 4, 0));
	EXPECT_EQ(msgrcv(id, &got, sizeof(got.text), 1, 0), 4); /* by type */
	EXPECT_STREQ(got.text, "one");
	EXPECT_EQ(msgrcv(id, &got, sizeof(got.text), 0, 0), 4);
	EXPECT_STREQ(got.text, "two");
	EXPECT_ERRNO(msgrcv(id, &got, sizeof(got.text), 0, IPC_NOWAIT), ENOMSG);
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		struct qmsg c = {7, "child"};
		usleep(50000);
		_exit(msgsnd(id, &c, 6, 0) == 0 ? 0 : 1);
	}
	EXPECT_EQ(msgrcv(id, &got, sizeof(got.text), -10, 0), 6); /* waits for it */
	EXPECT_EQ(got.type, 7);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	m.type = 3;
	EXPECT_SYS(msgsnd(id, &m, 10, 0));
	EXPECT_ERRNO(msgrcv(id, &got, 2, 0, 0), E2BIG);
	m.type = 0;
	EXPECT_ERRNO(msgsnd(id, &m, 4, 0), EINVAL);
	struct msqid_ds ds;
	EXPECT_SYS(msgctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.msg_qnum, 1);
	EXPECT_SYS(msgctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(msgsnd(id, &m, 4, 0), EINVAL);
}
