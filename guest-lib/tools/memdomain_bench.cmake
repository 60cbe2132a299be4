# memdomain-bench (the data path's benchmark), installed with the tools, and
# a static -guest twin for the test VM image.
set(MEMDOMAIN_BENCH_SOURCES
  ${MEMDOMAIN_TOOLS_DIR}/memdomain_bench.cpp ${MEMDOMAIN_TOOLS_DIR}/memdomain_bench_ends.cpp
  ${MEMDOMAIN_TOOLS_DIR}/memdomain_bench_pair.cpp ${MEMDOMAIN_TOOLS_DIR}/memdomain_bench_report.cpp
  ${MEMDOMAIN_TOOLS_DIR}/memdomain_bench_roles.cpp)
add_executable(memdomain-bench ${MEMDOMAIN_BENCH_SOURCES} $<TARGET_OBJECTS:memdomain_tool_options>)
target_link_libraries(memdomain-bench PRIVATE memdomain_static Boost::program_options nlohmann_json::nlohmann_json)
install(TARGETS memdomain-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(MEMDOMAIN_STATIC_GUEST_TOOLS AND MEMDOMAIN_BOOST_PO_STATIC)
  add_executable(memdomain-bench-guest ${MEMDOMAIN_BENCH_SOURCES} $<TARGET_OBJECTS:memdomain_tool_options>)
  target_link_libraries(memdomain-bench-guest PRIVATE memdomain_static Boost::headers nlohmann_json::nlohmann_json
                        ${MEMDOMAIN_BOOST_PO_STATIC})
  target_link_options(memdomain-bench-guest PRIVATE -static)
endif()
