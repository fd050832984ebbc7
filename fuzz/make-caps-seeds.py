#!/usr/bin/env python3
"""Write the seed corpus of fuzz-caps: VERSION capabilities as QEMU,
libvfio-user and uvfio's twin-socket clients send them, and malformed ones
the parser must refuse.  Run from the repository root:
python3 fuzz/make-caps-seeds.py"""
import os

OUT = "fuzz/corpus/caps"

SEEDS = {
    # QEMU 10.x, byte for byte (tests/vfio-user/test-wire.c qemu_caps).
    "qemu": b'{"capabilities":{"migration":{"pgsize":4096,'
            b'"max_bitmap_size":268435456},"max_msg_fds":16,'
            b'"max_data_xfer_size":1048576,"pgsizes":4096,'
            b'"max_dma_maps":65535,"write_multiple":true}}\0',
    # libvfio-user's server reply (handle_version()).
    "libvfio-user": b'{"capabilities":{"max_dma_maps":16,"max_msg_fds":8,'
                    b'"max_data_xfer_size":1048576,"pgsizes":4096,'
                    b'"migration":{"pgsize":4096,'
                    b'"max_bitmap_size":268435456}}}\0',
    "libvfio-user-client": b'{"capabilities":{"max_msg_fds":8,'
                           b'"max_data_xfer_size":1048576,'
                           b'"twin_socket":{"supported":true}}}\0',
    "twin": b'{"capabilities":{"twin_socket":{"supported":true}}}\0',
    "twin-reply": b'{"capabilities":{"max_msg_fds":16,'
                  b'"max_data_xfer_size":1048576,'
                  b'"twin_socket":{"supported":true,"fd_index":0}}}\0',
    "vf-token": b'{"capabilities":{"max_msg_fds":16,'
                b'"vf_token":"bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3"}}\0',
    "vf-token-bad": b'{"capabilities":{"vf_token":"bd8d9d2b-5a5f-4f5a"}}\0',
    "empty-object": b"{}\0",
    "empty": b"",
    "limits": b'{"capabilities":{"max_msg_fds":1024,'
              b'"max_data_xfer_size":67108864,"max_dma_maps":4294967295,'
              b'"pgsizes":9223372036854771712,"migration":{"pgsize":'
              b'9223372036854771712,"max_bitmap_size":9223372036854775807}}}'
              b'\0',
    "whitespace": b' { "capabilities" : { "pgsizes" : 8192 ,'
                  b' "write_multiple" : false } } \0',
    "unknown-keys": b'{"capabilities":{"foo":[1,2,{"x":null}],'
                    b'"max_msg_fds":2},"bar":"baz"}\0',
    # Malformed: each must be refused.
    "no-nul": b'{"capabilities":{}}',
    "trailing": b'{"capabilities":{}}xyz\0',
    "not-object": b'[1,2,3]\0',
    "caps-not-object": b'{"capabilities":7}\0',
    "fds-too-many": b'{"capabilities":{"max_msg_fds":1025}}\0',
    "fds-negative": b'{"capabilities":{"max_msg_fds":-1}}\0',
    "fds-float": b'{"capabilities":{"max_msg_fds":1.5}}\0',
    "fds-string": b'{"capabilities":{"max_msg_fds":"16"}}\0',
    "xfer-small": b'{"capabilities":{"max_data_xfer_size":4095}}\0',
    "xfer-huge": b'{"capabilities":{"max_data_xfer_size":67108865}}\0',
    "dma-maps-zero": b'{"capabilities":{"max_dma_maps":0}}\0',
    "pgsizes-odd": b'{"capabilities":{"pgsizes":4097}}\0',
    "pgsizes-huge": b'{"capabilities":{"pgsizes":18446744073709551615}}\0',
    "bigger-than-u64": b'{"capabilities":{"migration":{"max_bitmap_size":'
                       b'99999999999999999999999}}}\0',
    "wm-not-bool": b'{"capabilities":{"write_multiple":1}}\0',
    "mig-not-object": b'{"capabilities":{"migration":true}}\0',
    "mig-pgsize-small": b'{"capabilities":{"migration":{"pgsize":2048}}}\0',
    "twin-not-bool": b'{"capabilities":{"twin_socket":{"supported":"y"}}}\0',
    "twin-index-big": b'{"capabilities":{"twin_socket":{"supported":true,'
                      b'"fd_index":1025}}}\0',
    "nested-deep": b'{"capabilities":' + b'{"a":' * 40 + b'1' + b'}' * 40
                   + b'}\0',
    "unterminated": b'{"capabilities":{"max_msg_fds":16\0',
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
