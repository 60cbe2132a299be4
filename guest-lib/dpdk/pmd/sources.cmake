# net_memdomain sources
set(NET_MEMDOMAIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/pmd_probe.cpp)
