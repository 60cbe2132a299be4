// Attach time of a 1 GiB domain ("attaching never touches the pages"),
// against baselines measured in the same run on the same machine (it is
// shared and noisy: only the ratios mean something):
//   - attach (Domain::open to its return: connect, receive, map, validate),
//     medians of N, for a static domain (prefaulted by the server at
//     creation), a dynamic one whose instance a holder keeps alive, and a
//     dynamic one whose first attach creates the instance (grace 0);
//   - baseline "fresh": mmap + fault 1 GiB of a new memfd of the same page
//     class (MADV_POPULATE_WRITE): what attaching would cost if it touched
//     every page, and what a process building its own memory pays;
//   - baseline "bare": mmap of an already sized memfd of the same class,
//     nothing touched: the floor of any attach;
//   - for information: attach + populating every page of the static domain
//     (the pages exist: a page-table walk, no zeroing), and the static
//     domain's creation + prefault (server start to READY).
// Page class: 2M when the 2M pool has 512 pages available (1 GiB), else 4K;
// the choice and its reason are printed. --page forces one; --size (a power
// of two) lets the 2M path run on a smaller pool.
//
//   attach_bench [--rounds N] [--page auto|2M|4K] [--size 1G]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"

using namespace memdomain;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t g_size = 1 * GiB;

double since_us(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void report(const char* what, double ours, const char* baseline_name, double baseline) {
    std::printf("  %-44s %12.1f us   vs %-18s %12.1f us   ratio %.3g\n", what, ours, baseline_name, baseline,
                baseline > 0 ? ours / baseline : 0.0);
}

// 2M when the pool can hold the whole domain, else 4K; `why` says which held.
std::uint64_t choose_page(const std::string& forced, std::string& why) {
    const std::uint64_t need = g_size / (2 * MiB);
    auto pool = sys::hugepage_pool(2 * MiB);
    const std::string seen = pool ? std::to_string(pool->free) + " free, " + std::to_string(pool->reserved) +
                                        " reserved of " + std::to_string(pool->total)
                                  : "no 2M pool (" + pool.error().message + ")";
    if (forced == "2M" || forced == "4K") {
        why = "forced by --page (2M pool: " + seen + ")";
        return forced == "2M" ? 2 * MiB : 4 * KiB;
    }
    if (pool && pool->available() >= need) {
        why = "the 2M pool has " + std::to_string(pool->available()) + " pages available (" + seen + "), " +
              std::to_string(need) + " needed";
        return 2 * MiB;
    }
    why = "the 2M pool cannot hold " + format_size(g_size) + " (" + seen + ", " + std::to_string(need) + " needed)";
    return 4 * KiB;
}

std::string page_name(std::uint64_t page) { return page == 2 * MiB ? "2M" : "4K"; }

// Baseline: a fresh memfd of the class, mapped and every page faulted.
Result<double> fresh_fault_us(std::uint64_t page) {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::memfd_create("attach-bench-fresh", page));
    MD_TRY(sys::ftruncate(fd.get(), g_size));
    const auto t0 = Clock::now();
    MD_ASSIGN_OR_RETURN(sys::Mapping m, sys::map_shared(fd.get(), g_size, sys::Protection::ReadWrite));
    MD_TRY(sys::prefault(m.data(), g_size, page));
    return since_us(t0);
}

// Baseline: mapping an already sized memfd of the class, nothing touched.
Result<std::vector<double>> bare_map_us(std::uint64_t page, int rounds) {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::memfd_create("attach-bench-bare", page));
    MD_TRY(sys::ftruncate(fd.get(), g_size));
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        MD_ASSIGN_OR_RETURN(sys::Mapping m, sys::map_shared(fd.get(), g_size, sys::Protection::ReadWrite));
        us.push_back(since_us(t0));
    }
    return us;
}

std::string domain_text(const std::string& name, std::uint64_t page, const std::string& policy) {
    return "memdomain " + name + " {\n    policy = " + policy + (policy == "dynamic" ? "\n    grace = 0s" : "") +
           "\n    size {\n        huge " + page_name(page) + " = " + format_size(g_size) + " R/W\n    }\n}\n";
}

OpenOptions options(const test::Server& s) {
    OpenOptions o;
    o.socket_dir = s.socket_dir();
    o.transport = TransportKind::Socket;
    o.timeout = std::chrono::seconds(30);
    return o;
}

// Domain::open `rounds` times; each attach is closed before the next.
Result<std::vector<double>> attach_us(const test::Server& s, const std::string& name, int rounds) {
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        MD_ASSIGN_OR_RETURN(Domain d, Domain::open(name, options(s)));
        us.push_back(since_us(t0));
    }
    return us;
}

// Domain::open, then every page of the segment populated.
Result<std::vector<double>> attach_and_touch_us(const test::Server& s, const std::string& name, int rounds) {
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        MD_ASSIGN_OR_RETURN(Domain d, Domain::open(name, options(s)));
        const SegmentView& seg = d.segments().front();
        MD_TRY(sys::prefault(seg.base, seg.size, seg.page_size));
        us.push_back(since_us(t0));
    }
    return us;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

// A dynamic domain's first attach, which creates the instance; the server
// frees it (grace 0) after each round, waited for through its log.
Result<std::vector<double>> first_attach_us(const test::Server& s, const std::string& name, int rounds) {
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
        const std::size_t freed = count_of(s.log(), " freed (");
        {
            const auto t0 = Clock::now();
            MD_ASSIGN_OR_RETURN(Domain d, Domain::open(name, options(s)));
            us.push_back(since_us(t0));
        }
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (count_of(s.log(), " freed (") == freed) {
            if (Clock::now() > deadline) return make_error("the server did not free the instance", ETIMEDOUT);
            ::usleep(2000);
        }
    }
    return us;
}

template <class T>
T or_die(Result<T> r, const char* what) {
    if (!r) {
        std::fprintf(stderr, "attach_bench: %s: %s\n", what, r.error().message.c_str());
        std::exit(1);
    }
    return std::move(r).value();
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 10;
    std::string forced = "auto";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--rounds") rounds = std::max(1, std::stoi(argv[i + 1]));
        else if (a == "--page") forced = argv[i + 1];
        else if (a == "--size") g_size = parse_size(argv[i + 1]).value_or(0);
    }
    if (g_size == 0 || (g_size & (g_size - 1)) != 0 || g_size < 2 * MiB) {
        std::fprintf(stderr, "attach_bench: --size must be a power of two of at least 2M\n");
        return 2;
    }
    std::string why;
    const std::uint64_t page = choose_page(forced, why);
    const int fresh_rounds = std::min(rounds, 5);  // each faults the whole size: seconds at 4K under TCG
    std::printf("attach_bench: %s domains in %s pages: %s; medians of %d (fresh baseline and populate: %d)\n",
                format_size(g_size).c_str(), page_name(page).c_str(), why.c_str(), rounds, fresh_rounds);

    // Baselines first, while no server holds hugepages.
    std::vector<double> fresh;
    for (int i = 0; i < fresh_rounds; ++i) fresh.push_back(or_die(fresh_fault_us(page), "mmap+fault baseline"));
    const double fresh_us = median(fresh);
    const double bare_us = median(or_die(bare_map_us(page, rounds), "bare mmap baseline"));
    std::printf("  %-44s %12.1f us\n", ("baseline fresh: mmap + fault " + format_size(g_size) + " of " + page_name(page)).c_str(), fresh_us);
    std::printf("  %-44s %12.1f us\n", "baseline bare: mmap of a sized memfd", bare_us);

    {
        const auto t0 = Clock::now();
        test::Server s(domain_text("Static", page, "static"));
        const double ready_ms = since_us(t0) / 1000;
        if (!s.ok()) {
            std::fprintf(stderr, "%s\n", s.start_error().c_str());
            return 1;
        }
        std::printf("  %-44s %12.1f ms   (information: creation + prefault)\n", "static: server start to READY",
                    ready_ms);
        const double a = median(or_die(attach_us(s, "Static", rounds), "static attach"));
        report("static attach", a, "fresh mmap+fault", fresh_us);
        report("static attach", a, "bare mmap", bare_us);
        const double t = median(or_die(attach_and_touch_us(s, "Static", fresh_rounds), "attach + touch"));
        report("static attach + populate every page", t, "fresh mmap+fault", fresh_us);
    }
    {
        test::Server s(domain_text("Dynamic", page, "dynamic"));
        if (!s.ok()) {
            std::fprintf(stderr, "%s\n", s.start_error().c_str());
            return 1;
        }
        const double first = median(or_die(first_attach_us(s, "Dynamic", rounds), "dynamic first attach"));
        report("dynamic first attach (creates instance)", first, "fresh mmap+fault", fresh_us);
        report("dynamic first attach (creates instance)", first, "bare mmap", bare_us);
        Domain holder = or_die(Domain::open("Dynamic", options(s)), "dynamic holder");
        const double a = median(or_die(attach_us(s, "Dynamic", rounds), "dynamic attach"));
        report("dynamic attach (instance held)", a, "fresh mmap+fault", fresh_us);
        report("dynamic attach (instance held)", a, "bare mmap", bare_us);
    }
    return 0;
}
