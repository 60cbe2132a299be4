# net_memdomain: probe and devargs, ethdev ops, pairing and link, bursts,
# Rx interrupts, counters.
set(NET_MEMDOMAIN_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pmd_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_devargs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_link.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_rxtx.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_intr.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pmd_xstats.cpp
)
