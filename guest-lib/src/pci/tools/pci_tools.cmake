# memdomain-vfio-bind, the guest helper that hands ivshmem devices to
# vfio-pci. Static, so it runs in a busybox initramfs. Include from
# guest-lib/CMakeLists.txt after memdomain_static is defined:
#   include(src/pci/tools/pci_tools.cmake OPTIONAL)
add_executable(memdomain-vfio-bind ${CMAKE_CURRENT_LIST_DIR}/memdomain_vfio_bind.cpp)
target_include_directories(memdomain-vfio-bind PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../..)
target_link_libraries(memdomain-vfio-bind PRIVATE memdomain_static)
target_link_options(memdomain-vfio-bind PRIVATE -static)
install(TARGETS memdomain-vfio-bind RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
