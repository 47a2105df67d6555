#ifndef TENANT_WHATSAPP_CLIBPQ_SHIM_H
#define TENANT_WHATSAPP_CLIBPQ_SHIM_H
#include <libpq-fe.h>
// poll(2), to wait for notifications on the connection's socket (PostgresConnection+Notifications.swift).
#include <poll.h>
#endif
