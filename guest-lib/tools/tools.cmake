# Guest tools: memdomain-info and memdomain-ping, linked with the static
# library, plus fully static "-guest" variants (same sources, -static) for
# the busybox initramfs of the VM tests, where there is no dynamic loader.
set(MEMDOMAIN_TOOLS_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(memdomain_tool_options OBJECT ${MEMDOMAIN_TOOLS_DIR}/tool_options.cpp)
target_link_libraries(memdomain_tool_options PUBLIC memdomain_static Boost::headers)

foreach(tool info ping)
  add_executable(memdomain-${tool} ${MEMDOMAIN_TOOLS_DIR}/memdomain_${tool}.cpp
                 $<TARGET_OBJECTS:memdomain_tool_options>)
  target_link_libraries(memdomain-${tool} PRIVATE memdomain_static Boost::program_options nlohmann_json::nlohmann_json)
  install(TARGETS memdomain-${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

# Boost's imported target names the shared library; a -static link needs the
# archive itself.
find_library(MEMDOMAIN_BOOST_PO_STATIC NAMES libboost_program_options.a)
if(NOT MEMDOMAIN_STATIC_GUEST_TOOLS)
  # sanitized build: no static guest variants
elseif(MEMDOMAIN_BOOST_PO_STATIC)
  foreach(tool info ping)
    add_executable(memdomain-${tool}-guest ${MEMDOMAIN_TOOLS_DIR}/memdomain_${tool}.cpp
                   $<TARGET_OBJECTS:memdomain_tool_options>)
    target_link_libraries(memdomain-${tool}-guest PRIVATE memdomain_static Boost::headers
                          nlohmann_json::nlohmann_json ${MEMDOMAIN_BOOST_PO_STATIC})
    target_link_options(memdomain-${tool}-guest PRIVATE -static)
  endforeach()
else()
  message(WARNING "libboost_program_options.a not found: memdomain-info-guest and memdomain-ping-guest are not built")
endif()
include(${MEMDOMAIN_TOOLS_DIR}/memdomain_bench.cmake OPTIONAL)
