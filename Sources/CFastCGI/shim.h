#ifndef TENANT_WHATSAPP_CFASTCGI_SHIM_H
#define TENANT_WHATSAPP_CFASTCGI_SHIM_H
// libfcgi's reentrant API only; fcgi_stdio.h keeps global state and its stdio macros do not reach Swift.
#include <fcgiapp.h>

// epoll for the accepting workers (Glibc's Swift module does not export <sys/epoll.h>). `struct epoll_event` is
// packed on x86-64, which Swift cannot import faithfully, so it never leaves these functions.
#include <sys/epoll.h>

/// A new epoll instance (close-on-exec), or -1 with errno.
static inline int tw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// Watches `fd` for readability; with `exclusive`, a ready `fd` wakes one of the instances watching it, not all
/// (EPOLLEXCLUSIVE, Linux 4.5): how accepting threads avoid a thundering herd. 0, or -1 with errno.
static inline int tw_epoll_watch(int epfd, int fd, int exclusive) {
    struct epoll_event event;
    event.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0);
    event.data.fd = fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/// Waits up to `timeout_ms` (-1: no limit); returns -1 with errno, else a bit set: 1 when `first_fd` is ready,
/// 2 when any other watched descriptor is (0 on timeout).
static inline int tw_epoll_ready(int epfd, int timeout_ms, int first_fd) {
    struct epoll_event events[4];
    int count = epoll_wait(epfd, events, 4, timeout_ms);
    if (count < 0) return -1;
    int ready = 0;
    for (int index = 0; index < count; index++) ready |= events[index].data.fd == first_fd ? 1 : 2;
    return ready;
}
#endif
