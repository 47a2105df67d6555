#ifndef TENANT_WHATSAPP_CLIBPQ_SHIM_H
#define TENANT_WHATSAPP_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
