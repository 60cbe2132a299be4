# The socket transport: libmemdomain on a host, attached through
# "<socket dir>/<name>.sock" and "<name>@<i>.sock" for segments 1.. (QEMU's
# ivshmem server protocol on each).
list(APPEND MEMDOMAIN_GUEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/socket_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/socket_handshake.cpp
  ${CMAKE_CURRENT_LIST_DIR}/socket_listing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/peer_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reader_thread.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fork_guard.cpp)
