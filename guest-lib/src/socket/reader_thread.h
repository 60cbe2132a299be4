// The thread behind a Domain's background reader: started with every signal
// blocked (signals stay with the application's threads), named "md-reader"
// (visible in top -H, ps -L, /proc/<pid>/task/*/comm), inheriting the CPU
// affinity of the thread that opened the Domain; its Linux thread id is
// published so that an application can move it (sched_setaffinity).
//
// The body gets a wake fd and must return soon after that fd turns
// readable: that is how the destructor stops it before joining. In the child
// of a fork() the thread does not exist; forget_after_fork() makes the
// destructor leave it (and the wake fd, which the parent's thread still
// watches) alone.
//
// Internal to libmemdomain's socket transport; every pthread call of the
// library is wrapped here.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::detail {

class ReaderThread {
public:
    // Starts `body(wake_fd)` on a new thread.
    static Result<std::unique_ptr<ReaderThread>> start(std::function<void(int wake_fd)> body);
    // Wakes the body and joins it (unless forgotten after a fork).
    ~ReaderThread();
    ReaderThread(const ReaderThread&) = delete;
    ReaderThread& operator=(const ReaderThread&) = delete;

    // The thread's Linux id (gettid), or -1 until it has started running
    // or after a fork (the child has no such thread).
    pid_t tid() const { return tid_.load(std::memory_order_acquire); }
    // In the child of a fork(): the thread is not here, nothing to stop.
    void forget_after_fork();

private:
    ReaderThread() = default;
    static void* run(void* self);

    pthread_t thread_{};
    sys::UniqueFd wake_;
    std::function<void(int)> body_;
    std::atomic<pid_t> tid_{-1};
    bool forgotten_ = false;
};

}  // namespace memdomain::detail
