# The pci transport (inside VMs): sysfs scan, BAR mapping, vfio MSI-X,
# presence and mailbox polling. Included by guest-lib/CMakeLists.txt.
list(APPEND MEMDOMAIN_GUEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/sysfs_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pci_scan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/device_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vfio_sys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vfio_device.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vfio_bind.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bar0_registers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pci_segment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/presence_tracker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mailbox_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pci_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pci_open.cpp
)
