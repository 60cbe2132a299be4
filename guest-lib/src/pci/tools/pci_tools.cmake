# memdomain-vfio-bind, the guest helper that hands ivshmem devices to
# vfio-pci. Static, so it runs in a busybox initramfs; like the other tools
# it parses its command line with Boost.Program_options, whose archive
# tools.cmake finds (MEMDOMAIN_BOOST_PO_STATIC). Include from
# guest-lib/CMakeLists.txt after tools.cmake:
#   include(src/pci/tools/pci_tools.cmake OPTIONAL)
if(NOT MEMDOMAIN_BOOST_PO_STATIC)
  message(WARNING "libboost_program_options.a not found: memdomain-vfio-bind is not built")
  return()
endif()
add_executable(memdomain-vfio-bind ${CMAKE_CURRENT_LIST_DIR}/memdomain_vfio_bind.cpp)
target_include_directories(memdomain-vfio-bind PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../..)
target_link_libraries(memdomain-vfio-bind PRIVATE memdomain_static Boost::headers ${MEMDOMAIN_BOOST_PO_STATIC})
target_link_options(memdomain-vfio-bind PRIVATE -static)
install(TARGETS memdomain-vfio-bind RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
