/*
 * Child processes of the agent (checks, responders, notify programs):
 * how a child is set up after fork(), and how its whole process group is
 * killed and reaped.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

void dfo_child_setup(int deathsig, pid_t parent)
{
	setpgid(0, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0);
	/* The parent may have died before the prctl: then nobody will
	 * send the signal. */
	if (getppid() != parent)
		raise(deathsig);
}

int dfo_child_kill_reap(pid_t pid)
{
	int status = 0;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Orphans of the group were re-parented to us (subreaper): reap
	 * them too.  They were SIGKILLed, so this takes microseconds; the
	 * wait is bounded all the same (a process stuck in D state). */
	double until = dfo_now() + 0.05;
	for (;;) {
		pid_t r = waitpid(-pid, NULL, WNOHANG);
		if (r > 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0 || dfo_now() > until)
			break; /* ECHILD: none left */
		usleep(200);
	}
	return status;
}
