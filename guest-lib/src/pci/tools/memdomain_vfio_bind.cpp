// memdomain-vfio-bind: binds ivshmem devices to vfio-pci inside a guest so
// that libmemdomain gets MSI-X interrupts (InterruptMode::VfioMsix).
//
//   memdomain-vfio-bind [--sysfs-root DIR] [PCI-ADDRESS...]
//
// Without addresses: every ivshmem device (1af4:1110). Prints each address
// bound; exit status 0 on success, 1 on the first error (printed to stderr)
// or when there is no ivshmem device at all.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "pci/sysfs_file.h"
#include "pci/vfio_bind.h"

int main(int argc, char** argv) {
    std::string root;
    std::vector<std::string> addresses;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--sysfs-root") == 0 && i + 1 < argc) {
            root = argv[++i];
        } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::printf("usage: %s [--sysfs-root DIR] [PCI-ADDRESS...]\n", argv[0]);
            return 0;
        } else if (argv[i][0] == '-') {
            std::fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
            return 2;
        } else {
            addresses.emplace_back(argv[i]);
        }
    }
    root = memdomain::pci::resolve_sysfs_root(root);
    if (addresses.empty()) {
        auto all = memdomain::pci::bind_all_ivshmem_to_vfio_pci(root);
        if (!all) {
            std::fprintf(stderr, "memdomain-vfio-bind: %s\n", all.error().message.c_str());
            return 1;
        }
        if (all->empty()) {
            // Nothing to bind is almost always a VM started without its device.
            std::fprintf(stderr, "memdomain-vfio-bind: no ivshmem device under %s\n", root.c_str());
            return 1;
        }
        for (const auto& a : *all) std::printf("%s\n", a.c_str());
        return 0;
    }
    for (const auto& a : addresses) {
        if (auto st = memdomain::pci::bind_to_vfio_pci(root, a); !st) {
            std::fprintf(stderr, "memdomain-vfio-bind: %s\n", st.error().message.c_str());
            return 1;
        }
        std::printf("%s\n", a.c_str());
    }
    return 0;
}
