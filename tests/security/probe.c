/* The attack probe the security suite copies into images: `probe WHAT [ARG]` tries one thing a
 * hostile RUN step would try, prints "ALLOWED <what>" when the kernel let it through and
 * "DENIED <what>: <errno name>" when it refused, and exits 0 either way (the tests judge). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static int report(const char *what, long ret) {
    if (ret < 0) printf("DENIED %s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    else printf("ALLOWED %s\n", what);
    return 0;
}

static char stack[65536];
static int child(void *arg) { (void)arg; return 0; }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *w = argv[1];
    const char *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(w, "unshare-user")) return report(w, unshare(CLONE_NEWUSER));
    if (!strcmp(w, "unshare-mount")) return report(w, unshare(CLONE_NEWNS));
    if (!strcmp(w, "unshare-net")) return report(w, unshare(CLONE_NEWNET));
    if (!strcmp(w, "clone-user")) {
        pid_t p = clone(child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
        if (p > 0) waitpid(p, NULL, 0);
        return report(w, p);
    }
    if (!strcmp(w, "clone3-user")) {
        struct { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } a;
        memset(&a, 0, sizeof a);
        a.flags = CLONE_NEWUSER;
        a.exit_signal = SIGCHLD;
        long p = syscall(SYS_clone3, &a, sizeof a);
        if (p == 0) _exit(0);
        if (p > 0) waitpid(p, NULL, 0);
        return report(w, p);
    }
    if (!strcmp(w, "setns")) {
        int fd = open("/proc/1/ns/mnt", O_RDONLY);
        return report(w, fd < 0 ? fd : setns(fd, 0));
    }
    if (!strcmp(w, "mount")) return report(w, mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(w, "keyctl-session"))
        return report(w, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
    if (!strcmp(w, "keyctl-read")) {
        char buf[4096];
        long n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, buf, sizeof buf);
        return report(w, n);
    }
    if (!strcmp(w, "add_key"))
        return report(w, syscall(SYS_add_key, "user", "imgb-probe", "x", 1, KEY_SPEC_SESSION_KEYRING));
    if (!strcmp(w, "request_key"))
        return report(w, syscall(SYS_request_key, "user", arg, NULL, 0));
    if (!strcmp(w, "bpf")) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.map_type = BPF_MAP_TYPE_ARRAY;
        a.key_size = 4;
        a.value_size = 4;
        a.max_entries = 1;
        return report(w, syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a));
    }
    if (!strcmp(w, "perf_event_open")) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = PERF_TYPE_SOFTWARE;
        a.config = PERF_COUNT_SW_CPU_CLOCK;
        a.exclude_kernel = 1;
        return report(w, syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
    }
    if (!strcmp(w, "io_uring")) return report(w, syscall(425, 1, calloc(1, 256)));
    if (!strcmp(w, "init_module")) return report(w, syscall(SYS_finit_module, 0, "", 0));
    if (!strcmp(w, "swapon")) return report(w, syscall(SYS_swapon, "/tmp/x", 0));
    if (!strcmp(w, "reboot")) return report(w, syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, NULL));
    if (!strcmp(w, "settimeofday")) return report(w, syscall(SYS_settimeofday, NULL, NULL));
    if (!strcmp(w, "vsock")) return report(w, socket(40, SOCK_STREAM, 0));
    if (!strcmp(w, "open")) return report(w, open(arg, O_RDONLY | O_NONBLOCK));
    if (!strcmp(w, "open-write")) return report(w, open(arg, O_WRONLY | O_NONBLOCK));
    if (!strcmp(w, "tcp")) {  /* tcp HOST:PORT */
        char host[64];
        int port = 0;
        if (sscanf(arg, "%63[^:]:%d", host, &port) != 2) return 2;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, host, &a.sin_addr);
        return report(w, s < 0 ? s : connect(s, (struct sockaddr *)&a, sizeof a));
    }
    if (!strcmp(w, "abstract")) {  /* abstract NAME: connect to the abstract unix socket @NAME */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strncpy(a.sun_path + 1, arg, sizeof a.sun_path - 2);
        return report(w, s < 0 ? s : connect(s, (struct sockaddr *)&a, sizeof(sa_family_t) + 1 + strlen(arg)));
    }
    if (!strcmp(w, "mknod")) return report(w, mknod(arg, S_IFCHR | 0666, makedev(1, 3)));
    if (!strcmp(w, "uid")) { printf("uid %d euid %d\n", getuid(), geteuid()); return 0; }
    fprintf(stderr, "probe: unknown %s\n", w);
    return 2;
}
