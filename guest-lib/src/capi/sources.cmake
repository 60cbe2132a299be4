# The C API (include/memdomain/memdomain.h) over the C++ one.
list(APPEND MEMDOMAIN_GUEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/c_api.cpp)
