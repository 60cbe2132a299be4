// Small-file access for sysfs, wrapped once for the pci transport: reading a
// one-line attribute ("0x1af4\n"), writing one ("1"), following a symlink
// ("driver" -> .../vfio-pci) and asking a file's size (a resource file's
// size is its BAR's size). Every error names the path it is about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::pci {

// The sysfs root: `explicit_root` when not empty, else $MEMDOMAIN_SYSFS_ROOT,
// else "/sys". This is what makes the pci transport testable without a VM.
std::string resolve_sysfs_root(const std::string& explicit_root);

// The first `max` bytes of a file (fewer if it is shorter), as they are:
// for binary attributes such as a device's PCI config space.
Result<std::string> read_leading_bytes(const std::string& path, std::size_t max);
// Whole contents of a small file (at most 4 KiB), trailing newline removed.
Result<std::string> read_attribute(const std::string& path);
// A number written the way sysfs writes it ("0x1af4", "1", "0"), any base.
Result<std::uint64_t> read_number_attribute(const std::string& path);
// Writes `value` to an attribute in one write() (sysfs wants exactly that).
Status write_attribute(const std::string& path, const std::string& value);
// The last component of a symlink's target ("vfio-pci", "12"); ENOENT when
// there is no such link.
Result<std::string> link_basename(const std::string& path);
// Size of the file `path` points to (stat follows symlinks).
Result<std::uint64_t> file_size(const std::string& path);
bool path_exists(const std::string& path);
// open(2) with O_CLOEXEC added (a resource file, a vfio node).
Result<sys::UniqueFd> open_path(const std::string& path, int flags);
// Entries of a directory, sorted, without "." and ".."; ENOENT if absent.
Result<std::vector<std::string>> list_directory(const std::string& path);

}  // namespace memdomain::pci
