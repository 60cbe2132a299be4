// The directory's lock-free publish / lookup / withdraw (the protocol is in
// memdomain/directory.h). Entries are read seqlock-style: state word, a
// snapshot of the fields, the state word again; a snapshot is used only if
// the word did not change, and only after its name and range are checked.
#include "memdomain/directory.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "area_core.h"
#include "directory_ops.h"

namespace memdomain {

using namespace detail;

namespace {

// How often a reader re-reads an entry that changed under it before it gives
// up on that entry: a peer rewriting one without pause must not stall us.
constexpr int kSnapshotRetries = 64;

Error dir_error(int err, const std::string& what) { return make_error("directory: " + what, err); }

Status check_name(std::string_view name) {
    if (name.empty() || name.size() > kDirectoryNameMax)
        return dir_error(EINVAL, "name must be 1.." + std::to_string(kDirectoryNameMax) + " bytes");
    for (char ch : name)
        if (ch <= ' ' || ch > '~') return dir_error(EINVAL, "name '" + std::string(name) + "' has a character that is not printable ASCII");
    return {};
}

std::atomic_ref<std::uint64_t> state_of(const AreaCore& c, std::uint32_t i) { return word64(&c.dir_entry(i)->state); }

// A consistent snapshot of entry i taken while its state was `expected`, or
// nothing if the entry changed meanwhile.
std::optional<DirEntry> snapshot(const AreaCore& c, std::uint32_t i, std::uint64_t expected) {
    DirEntry e;
    copy_from_shared(&e, c.dir_entry(i), sizeof e);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (state_of(c, i).load(std::memory_order_relaxed) != expected) return std::nullopt;
    e.state = expected;
    return e;
}

bool named(const DirEntry& e, std::string_view name) {
    return e.name_length == name.size() && e.name_length <= kDirectoryNameMax &&
           std::memcmp(e.name, name.data(), name.size()) == 0;
}

DirectoryEntry to_public(const AreaCore& c, const DirEntry& e, std::uint32_t slot) {
    DirectoryEntry d;
    const std::size_t len = std::min<std::size_t>(e.name_length, kDirectoryNameMax);
    d.name.assign(e.name, strnlen(e.name, len));
    d.offset = e.offset;
    d.size = e.size;
    d.type = e.type;
    d.slot = slot;
    d.owner = unpack(dir_owner(e.state));
    d.live = c.is_live(d.owner);
    return d;
}

bool live_owner(const AreaCore& c, std::uint64_t s) { return c.is_live(unpack(dir_owner(s))); }

// Takes a free entry, or one whose owner is dead, into WRITING(me).
std::optional<std::pair<std::uint32_t, std::uint64_t>> claim_entry(const AreaCore& c) {
    const std::uint32_t me = pack(c.self);
    for (std::uint32_t i = 0; i < c.geo.directory_slots; ++i) {
        auto st = state_of(c, i);
        std::uint64_t s = st.load(std::memory_order_acquire);
        if (dir_kind(s) != DirKind::Free && live_owner(c, s)) continue;
        const std::uint64_t writing = dir_state(DirKind::Writing, dir_seq(s) + 1, me);
        if (st.compare_exchange_strong(s, writing, std::memory_order_acq_rel)) return std::pair{i, writing};
    }
    return std::nullopt;
}

enum class Verdict { Proceed, Exists, Stuck };

// Step 3 of publish: is there another NAMED or VALID entry with our name?
Verdict resolve_duplicates(const AreaCore& c, std::uint32_t mine, std::string_view name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (std::uint32_t j = 0; j < c.geo.directory_slots; ++j) {
        if (j == mine) continue;
        for (int retries = 0;;) {
            const std::uint64_t t = state_of(c, j).load(std::memory_order_seq_cst);
            const DirKind k = dir_kind(t);
            if ((k != DirKind::Named && k != DirKind::Valid) || !live_owner(c, t)) break;
            auto e = snapshot(c, j, t);
            if (!e) {  // changed while reading: look again (a bounded number of times)
                if (++retries > kSnapshotRetries) break;
                continue;
            }
            if (!named(*e, name)) break;
            if (k == DirKind::Valid || j < mine) return Verdict::Exists;
            // A concurrent publisher at a higher index: it will see us and
            // back off, or it did not see us and will become VALID.
            while (state_of(c, j).load(std::memory_order_seq_cst) == t && live_owner(c, t)) {
                if (std::chrono::steady_clock::now() >= deadline) return Verdict::Stuck;
                std::this_thread::yield();
            }
        }
    }
    return Verdict::Proceed;
}

}  // namespace

namespace detail {

Status dir_publish(const AreaCore& c, std::string_view name, std::uint64_t offset, std::uint64_t size,
                   std::uint32_t type) {
    MD_TRY(check_name(name));
    if (size == 0 || !c.in_area(offset, size))
        return dir_error(EINVAL, "range [" + std::to_string(offset) + ", +" + std::to_string(size) +
                                     ") is not inside the data area");
    if (!c.writable) return dir_error(EROFS, "read-only peer cannot publish");
    if (!c.self_live()) return dir_error(EOWNERDEAD, "our attachment is no longer live");
    if (dir_lookup(c, name)) return dir_error(EEXIST, "'" + std::string(name) + "' is published already");
    auto claimed = claim_entry(c);
    if (!claimed) return dir_error(ENOSPC, "all " + std::to_string(c.geo.directory_slots) + " entries are in use");
    const auto [i, writing] = *claimed;
    DirEntry e{};
    e.offset = offset;
    e.size = size;
    e.type = type;
    e.name_length = static_cast<std::uint32_t>(name.size());
    std::memcpy(e.name, name.data(), name.size());
    copy_to_shared(reinterpret_cast<std::byte*>(c.dir_entry(i)) + 8, reinterpret_cast<const std::byte*>(&e) + 8,
                   sizeof e - 8);
    const std::uint64_t seq = dir_seq(writing);
    const std::uint64_t named_state = dir_state(DirKind::Named, seq, pack(c.self));
    auto st = state_of(c, i);
    st.store(named_state, std::memory_order_seq_cst);
    const Verdict v = resolve_duplicates(c, i, name);
    if (v != Verdict::Proceed) {
        std::uint64_t expected = named_state;
        st.compare_exchange_strong(expected, dir_state(DirKind::Free, seq, 0), std::memory_order_acq_rel);
        if (v == Verdict::Exists) return dir_error(EEXIST, "'" + std::string(name) + "' is published already");
        return dir_error(EAGAIN, "a concurrent publisher of '" + std::string(name) + "' did not finish: retry");
    }
    std::uint64_t expected = named_state;
    if (!st.compare_exchange_strong(expected, dir_state(DirKind::Valid, seq, pack(c.self)), std::memory_order_acq_rel))
        return dir_error(EAGAIN, "entry of '" + std::string(name) + "' was taken over while publishing: retry");
    return {};
}

Result<DirectoryEntry> dir_lookup(const AreaCore& c, std::string_view name) {
    MD_TRY(check_name(name));
    for (std::uint32_t i = 0; i < c.geo.directory_slots; ++i) {
        for (int retries = 0;;) {
            const std::uint64_t s = state_of(c, i).load(std::memory_order_acquire);
            if (dir_kind(s) != DirKind::Valid || !live_owner(c, s)) break;
            auto e = snapshot(c, i, s);
            if (!e) {
                if (++retries > kSnapshotRetries) break;  // a peer keeps rewriting it
                continue;
            }
            if (!named(*e, name) || e->size == 0 || !c.in_area(e->offset, e->size)) break;
            return to_public(c, *e, i);
        }
    }
    return dir_error(ENOENT, "no live entry '" + std::string(name) + "'");
}

Status dir_withdraw(const AreaCore& c, std::string_view name) {
    MD_TRY(check_name(name));
    if (!c.writable) return dir_error(EROFS, "read-only peer cannot withdraw");
    bool withdrew = false, foreign = false;
    for (std::uint32_t i = 0; i < c.geo.directory_slots; ++i) {
        auto st = state_of(c, i);
        std::uint64_t s = st.load(std::memory_order_acquire);
        if (dir_kind(s) != DirKind::Valid) continue;
        auto e = snapshot(c, i, s);
        if (!e || !named(*e, name)) continue;
        const Attachment owner = unpack(dir_owner(s));
        if (owner != c.self && c.is_live(owner)) {
            foreign = true;
            continue;
        }
        if (st.compare_exchange_strong(s, dir_state(DirKind::Free, dir_seq(s), 0), std::memory_order_acq_rel))
            withdrew = true;
    }
    if (withdrew) return {};
    if (foreign) return dir_error(EPERM, "'" + std::string(name) + "' belongs to a live peer");
    return dir_error(ENOENT, "no entry '" + std::string(name) + "' of ours or of a dead peer");
}

Result<std::uint32_t> dir_withdraw_stale(const AreaCore& c) {
    if (!c.writable) return dir_error(EROFS, "read-only peer cannot withdraw");
    std::uint32_t n = 0;
    for (std::uint32_t i = 0; i < c.geo.directory_slots; ++i) {
        auto st = state_of(c, i);
        std::uint64_t s = st.load(std::memory_order_acquire);
        if (dir_kind(s) == DirKind::Free || live_owner(c, s)) continue;
        if (st.compare_exchange_strong(s, dir_state(DirKind::Free, dir_seq(s), 0), std::memory_order_acq_rel)) ++n;
    }
    return n;
}

std::vector<DirectoryEntry> dir_list(const AreaCore& c) {
    std::vector<DirectoryEntry> out;
    for (std::uint32_t i = 0; i < c.geo.directory_slots; ++i) {
        const std::uint64_t s = state_of(c, i).load(std::memory_order_acquire);
        if (dir_kind(s) != DirKind::Valid) continue;
        auto e = snapshot(c, i, s);
        if (!e || e->name_length == 0 || e->name_length > kDirectoryNameMax) continue;
        out.push_back(to_public(c, *e, i));
    }
    return out;
}

}  // namespace detail

Directory::Directory(const DataArea& area) : area_(&area) {}
Status Directory::publish(std::string_view name, std::uint64_t offset, std::uint64_t size, std::uint32_t type) {
    return dir_publish(area_->core(), name, offset, size, type);
}
Result<DirectoryEntry> Directory::lookup(std::string_view name) const { return dir_lookup(area_->core(), name); }
Status Directory::withdraw(std::string_view name) { return dir_withdraw(area_->core(), name); }
Result<std::uint32_t> Directory::withdraw_stale() { return dir_withdraw_stale(area_->core()); }
std::vector<DirectoryEntry> Directory::list() const { return dir_list(area_->core()); }

}  // namespace memdomain
