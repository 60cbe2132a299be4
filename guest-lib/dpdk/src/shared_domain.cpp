// The process-wide table of attachments (see shared_domain.h).
#include "shared_domain.h"

#include <cstdlib>
#include <map>
#include <mutex>

namespace memdomain::dpdk {
namespace {

std::string resolve(const std::string& value, const char* env, const char* fallback) {
    if (!value.empty()) return value;
    const char* e = std::getenv(env);
    return (e != nullptr && *e != '\0') ? std::string(e) : std::string(fallback);
}

void resolve_dirs(DomainKey& key) {
    key.socket_dir = resolve(key.socket_dir, "MEMDOMAIN_SOCKET_DIR", "/run/memdomain");
    key.sysfs_root = resolve(key.sysfs_root, "MEMDOMAIN_SYSFS_ROOT", "/sys");
}

std::string key_string(const DomainKey& k) {
    return std::to_string(static_cast<int>(k.transport)) + '\n' + k.socket_dir + '\n' + k.sysfs_root + '\n' + k.name;
}

// Never destroyed: entries are weak, and tearing the table down at exit
// would race with DPDK's own exit handlers.
std::mutex& table_mutex() {
    static auto* m = new std::mutex;
    return *m;
}
std::map<std::string, std::weak_ptr<SharedDomain>>& table() {
    static auto* t = new std::map<std::string, std::weak_ptr<SharedDomain>>;
    return *t;
}

}  // namespace

SharedDomain::SharedDomain(DomainKey key, Domain domain) : key_(std::move(key)), domain_(std::move(domain)) {
    rte_spinlock_init(&lock_);
}

SharedDomain::~SharedDomain() {
    heap.reset();
    area_.reset();  // before the Domain it points into
}

std::shared_ptr<SharedDomain> SharedDomain::find(DomainKey key) {
    resolve_dirs(key);
    std::lock_guard<std::mutex> g(table_mutex());
    auto it = table().find(key_string(key));
    return it == table().end() ? nullptr : it->second.lock();
}

Result<std::shared_ptr<SharedDomain>> SharedDomain::acquire(DomainKey key) {
    resolve_dirs(key);
    const std::string k = key_string(key);
    std::lock_guard<std::mutex> g(table_mutex());
    if (auto it = table().find(k); it != table().end()) {
        if (auto live = it->second.lock()) return live;
    }
    OpenOptions opts;
    opts.transport = key.transport;
    opts.socket_dir = key.socket_dir;
    opts.sysfs_root = key.sysfs_root;
    MD_ASSIGN_OR_RETURN(Domain d, Domain::open(key.name, opts));
    std::shared_ptr<SharedDomain> s(new SharedDomain(std::move(key), std::move(d)));
    MD_ASSIGN_OR_RETURN(DataArea area, DataArea::attach(s->domain_));
    s->area_.emplace(std::move(area));
    table()[k] = s;
    return s;
}

}  // namespace memdomain::dpdk
