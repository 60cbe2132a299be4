# Scenario "smoke": proves the kernel / initramfs / vfio plumbing without any
# memdomain code in the guest. Finds the ivshmem device, prints its BARs from
# sysfs, binds it to vfio-pci and checks the VFIO group node appears.
# Reports: ivshmem_count, ivshmem_dev, bar0_size, bar1_size, bar2_size,
# driver, iommu_group.
. /scenarios/lib.sh

count=$(ivshmem_devices | wc -l)
kv ivshmem_count "$count"
dev=$(first_ivshmem) || exit 1
kv ivshmem_dev "$dev"
step "resource of $dev:"
sed 's/^/  | /' "/sys/bus/pci/devices/$dev/resource" | head -n 3
for bar in 0 1 2; do
    kv "bar${bar}_size" "$(bar_size "$dev" $bar)"
done
[ -d /sys/kernel/iommu_groups/0 ] || fail "no IOMMU groups: the guest has no IOMMU (intel_iommu=on, -device intel-iommu)"
bind_vfio_shell "$dev"
kv driver "$(basename "$(readlink "/sys/bus/pci/devices/$dev/driver")")"
kv iommu_group "$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")"
exit 0
