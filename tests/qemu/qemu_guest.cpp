// Starting a paused QEMU with an ivshmem device and taking its qtest seat.
#include "qemu_guest.h"

namespace memdomain::test {

std::vector<std::string> doorbell_args(const std::string& socket, unsigned vectors) {
    return {"-chardev", "socket,id=md0,path=" + socket, "-device",
            "ivshmem-doorbell,chardev=md0,vectors=" + std::to_string(vectors) + ",addr=04.0"};
}

std::vector<std::string> readonly_plain_args(const std::string& mem_path, const std::string& size) {
    return {"-object", "memory-backend-file,id=mdro,mem-path=" + mem_path + ",size=" + size + ",share=on,readonly=on",
            "-device", "ivshmem-plain,memdev=mdro,addr=04.0"};
}

std::string namespace_entry(const std::string& socket_dir, const std::string& domain) {
    return socket_dir + "/ns/" + domain;
}

Result<std::unique_ptr<QemuGuest>> QemuGuest::start(const QemuGuestOptions& o) {
    std::unique_ptr<QemuGuest> g(new QemuGuest);
    QemuOptions qo;
    qo.log_path = o.work_dir + "/" + o.name + ".log";
    qo.args = o.args;
    qo.machine = o.machine;
    sys::UniqueFd listener;
    if (o.qtest) {
        qo.qtest_socket = o.work_dir + "/" + o.name + "-qtest.sock";
        MD_ASSIGN_OR_RETURN(listener, QtestClient::listen(qo.qtest_socket));
    }
    g->proc_ = QemuProcess(qo);
    if (!o.qtest) return g;

    auto* proc = &g->proc_;
    auto client = QtestClient::accept(listener.get(), o.timeout, [proc] { return proc->running(); });
    if (!client)
        return make_error(client.error().message + "\ncommand: " + proc->command_line() + "\nQEMU log:\n" +
                              proc->log(),
                          client.error().sys);
    g->qtest_.emplace(std::move(client).value());
    g->qtest_->set_timeout(o.timeout);
    IvshmemLayout layout;
    if (o.device) {
        layout.address = *o.device;
    } else {
        auto found = IvshmemGuest::find(*g->qtest_);
        if (!found) return make_error(found.error().message + "\nQEMU log:\n" + proc->log(), found.error().sys);
        layout.address = *found;
    }
    auto dev = IvshmemGuest::setup(*g->qtest_, layout);
    if (!dev) return make_error(dev.error().message + "\nQEMU log:\n" + proc->log(), dev.error().sys);
    g->device_.emplace(std::move(dev).value());
    return g;
}

}  // namespace memdomain::test
