// Errors as values. The core of memdomain does not throw: every fallible
// function returns Result<T>, which holds either a T or an Error. Exceptions
// appear only at the edges (command-line parsing) and are converted there.
//
// An Error carries the errno it came from (0 when it did not come from the
// OS) and a message that already names the object it is about, so callers
// can log or print it as is.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace memdomain {

struct Error {
    int sys = 0;          // errno value when the cause is a system call, else 0
    std::string message;  // human readable, with context ("mmap /dev/x: ...")
};

// Builds an Error from the current errno: "<what>: <strerror(errno)>".
Error sys_error(std::string_view what, int err = errno);
// Builds an Error that is not an OS failure.
Error make_error(std::string message, int sys = 0);

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT implicit

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const {}

    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

// Propagates an error out of a function returning Result<U> or Status.
#define MD_TRY(expr)                                          \
    do {                                                      \
        auto&& md_try_r_ = (expr);                            \
        if (!md_try_r_) return std::move(md_try_r_).error();  \
    } while (0)

// Binds the value of a Result expression to `lhs`, or propagates its error.
#define MD_CONCAT_INNER_(a, b) a##b
#define MD_CONCAT_(a, b) MD_CONCAT_INNER_(a, b)
#define MD_ASSIGN_OR_RETURN(lhs, expr) MD_ASSIGN_OR_RETURN_IMPL_(MD_CONCAT_(md_r_, __LINE__), lhs, expr)
#define MD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
    auto tmp = (expr);                            \
    if (!tmp) return std::move(tmp).error();      \
    lhs = std::move(tmp).value()

}  // namespace memdomain
