# The data path (include/memdomain/data_area.h, arena.h, directory.h,
# channel.h; C API datapath.h): arenas, named objects and channels inside a
# domain's data area.
list(APPEND MEMDOMAIN_GUEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/area_geometry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/arena.cpp
  ${CMAKE_CURRENT_LIST_DIR}/c_channel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/c_datapath.cpp
  ${CMAKE_CURRENT_LIST_DIR}/channel_consumer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/channel_layout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/channel_producer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/channel_producer_returns.cpp
  ${CMAKE_CURRENT_LIST_DIR}/data_area.cpp
  ${CMAKE_CURRENT_LIST_DIR}/directory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/domain_port.cpp
  ${CMAKE_CURRENT_LIST_DIR}/range_allocator.cpp)
