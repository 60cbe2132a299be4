// memdomain-vfio-bind: binds ivshmem devices to vfio-pci inside a guest so
// that libmemdomain gets MSI-X interrupts (InterruptMode::VfioMsix).
//
//   memdomain-vfio-bind [--sysfs-root DIR] [PCI-ADDRESS...]
//
// Without addresses: every ivshmem device (1af4:1110). Prints each address
// bound; exit status 0 on success, 1 on the first error (printed to stderr)
// or when there is no ivshmem device at all, 2 on a bad command line. The
// command line is parsed with Boost.Program_options like every other tool's.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "pci/sysfs_file.h"
#include "pci/vfio_bind.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kTool = "memdomain-vfio-bind";

int bind_all(const std::string& root) {
    auto all = memdomain::pci::bind_all_ivshmem_to_vfio_pci(root);
    if (!all) {
        std::fprintf(stderr, "%s: %s\n", kTool, all.error().message.c_str());
        return 1;
    }
    if (all->empty()) {
        // Nothing to bind is almost always a VM started without its device.
        std::fprintf(stderr, "%s: no ivshmem device under %s\n", kTool, root.c_str());
        return 1;
    }
    for (const auto& a : *all) std::printf("%s\n", a.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string root;
    std::vector<std::string> addresses;
    po::options_description desc(
        "memdomain-vfio-bind: binds ivshmem devices (1af4:1110) to vfio-pci, so libmemdomain gets MSI-X\n"
        "interrupts. Without addresses, every ivshmem device.\n\n"
        "Usage: memdomain-vfio-bind [--sysfs-root DIR] [PCI-ADDRESS...]\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "print this help and exit")
        ("sysfs-root", po::value(&root), "sysfs root (default $MEMDOMAIN_SYSFS_ROOT, else /sys)");
    // clang-format on
    po::options_description hidden;
    hidden.add_options()("address", po::value(&addresses), "PCI address, e.g. 0000:00:05.0");
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description positional;
    positional.add("address", -1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << desc << "\n";
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s (see %s --help)\n", kTool, e.what(), kTool);
        return 2;
    }
    root = memdomain::pci::resolve_sysfs_root(root);
    if (addresses.empty()) return bind_all(root);
    for (const auto& a : addresses) {
        if (auto st = memdomain::pci::bind_to_vfio_pci(root, a); !st) {
            std::fprintf(stderr, "%s: %s\n", kTool, st.error().message.c_str());
            return 1;
        }
        std::printf("%s\n", a.c_str());
    }
    return 0;
}
