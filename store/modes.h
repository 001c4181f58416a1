/*
 * modes: the permissions of what the store creates.  Store files travel
 * by rsync and hold what the sensor saw: readable by the daemon's user
 * and its group (tip on the same host, the rsync account), by no one
 * else.  The umask can only take more away.
 */
#ifndef TIP_MODES_H
#define TIP_MODES_H

#define STORE_FILE_MODE 0640
#define STORE_DIR_MODE 0750

#endif
