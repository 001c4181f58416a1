/*
 * ctl_proto: the control protocol between tipd (sensor/ctl.c, the
 * server) and tip (tools/ctl.c, the client): where the socket is by
 * default and how long a request may be.  Constants only, so both
 * programs agree by construction and neither links the other's code.
 *
 * Protocol (text, one request per line, at most CTL_LINE_MAX bytes
 * without the newline):
 *     submit NAME...                  add candidates to the bus
 *     status                          modules, tasks, queues, counters
 *     trace MODULE on|off             switch a module's trace flag
 *     clock synced|unsynced|auto      what the time source says of the clock
 * Each request gets zero or more reply lines, then one final line:
 * "ok[ detail]" or "error: message".  A client may send several lines;
 * the server closes the connection after the client's end of file and
 * the last reply, after a line that is too long, or after an idle time.
 * doc/tipd.8 is the user's description.
 */
#ifndef TIP_CTL_PROTO_H
#define TIP_CTL_PROTO_H

#define CTL_SOCKET_DEFAULT "/var/run/tipd.sock"
#define CTL_LINE_MAX 4096

#endif
