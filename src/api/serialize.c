/* serialize.c — see serialize.h. */
#include "api/serialize.h"

#include "util/isotime.h"

json_t *json_ts(int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_z(us, b);
    return json_string(b);
}

json_t *json_ts_offset(int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_offset(us, b);
    return json_string(b);
}

json_t *user_json(const user_row *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "avatar", u->avatar ? json_string(u->avatar) : json_null());
    json_object_set_new(o, "createdAt", json_ts(u->created_at));
    return o;
}
