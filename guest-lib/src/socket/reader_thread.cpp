// Implementation of reader_thread.h.
#include "socket/reader_thread.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "memdomain/sys/eventfd.h"

namespace memdomain::detail {
namespace {

// Enough for poll, a few small allocations and the message handling; the
// default (8 MiB of address space) matters to a process with many domains.
constexpr std::size_t kStackSize = 256 * 1024;

}  // namespace

Result<std::unique_ptr<ReaderThread>> ReaderThread::start(std::function<void(int)> body) {
    std::unique_ptr<ReaderThread> t(new ReaderThread);
    MD_ASSIGN_OR_RETURN(t->wake_, sys::eventfd_create());
    t->body_ = std::move(body);

    pthread_attr_t attr;
    if (int e = ::pthread_attr_init(&attr); e != 0) return make_error("pthread_attr_init: " + std::string(std::strerror(e)), e);
    ::pthread_attr_setstacksize(&attr, kStackSize);
    // The new thread inherits the signal mask: block everything around the
    // creation so that no signal meant for the application lands on it.
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const int e = ::pthread_create(&t->thread_, &attr, &ReaderThread::run, t.get());
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::pthread_attr_destroy(&attr);
    if (e != 0) return make_error("cannot start the domain's reader thread: " + std::string(std::strerror(e)), e);
    // Published by the thread itself; wait for it so reader_tid() is valid
    // as soon as open() returns.
    t->tid_.wait(-1, std::memory_order_acquire);
    return t;
}

void* ReaderThread::run(void* self) {
    auto* t = static_cast<ReaderThread*>(self);
    ::pthread_setname_np(::pthread_self(), "md-reader");
    t->tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)), std::memory_order_release);
    t->tid_.notify_all();
    t->body_(t->wake_.get());
    return nullptr;
}

void ReaderThread::forget_after_fork() {
    forgotten_ = true;
    tid_.store(-1, std::memory_order_release);
}

ReaderThread::~ReaderThread() {
    if (forgotten_) {
        // The parent's thread still polls this eventfd: a write from here
        // would stop it. Just drop our copy of the descriptor.
        return;
    }
    (void)sys::eventfd_ring(wake_.get());
    ::pthread_join(thread_, nullptr);
}

}  // namespace memdomain::detail
