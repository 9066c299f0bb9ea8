// jemalloc's settings for this executable, read by jemalloc before the first allocation (the
// `malloc_conf` symbol it looks up at start; an operator's MALLOC_CONF is applied after these, so
// any of them can be changed without a rebuild: docs/deployment.md, Sizing). Built only when the sidecar
// links jemalloc.
//
// background_thread: freed pages go back to the system on jemalloc's own thread, within its
// decay time (dirty_decay_ms, 10 s by default). Without it jemalloc purges only while the process
// allocates, so the pages of a burst (a presence storm, a reconnect wave, large frames) stayed
// resident as long as the sockets sat idle after it: 62 MB after a hundred 3 MB frames, still
// there 90 s later (tests/python/sidecar/test_idle_socket_memory.py). Redis turns the same option
// on by default for the same reason.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the name and type jemalloc looks up
char const* malloc_conf = "background_thread:true";
}
