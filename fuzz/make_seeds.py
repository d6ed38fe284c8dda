#!/usr/bin/env python3
"""Write the seed corpora fuzz/corpus/<target>/seed-* from tests/vectors and
the sample values of tests/common. Run from anywhere: python3 fuzz/make_seeds.py"""
import json, os, struct, tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VECTORS = os.path.join(ROOT, "tests", "vectors")

# Selector order of `with_sealable_kind!` (fuzz/src/lib.rs).
KINDS = ["cn.id_number", "cn.mobile_phone", "cn.landline", "bank_card", "geo_point", "email",
         "person_name", "address", "ip_address", "mac_address", "imei", "passport",
         "cn.license_plate", "cn.credit_code", "biometric"]
# tests/common/mod.rs `visit_sealable`, by kind.
SAMPLES = {
    "cn.id_number": ["11010519491231002X", "440524188001010014", "110105491231002"],
    "cn.mobile_phone": ["13800138000", "+86 199-1234-5678"],
    "cn.landline": ["010-62345678", "0755-88889999-123"],
    "bank_card": ["6222021234567894", "4111 1111 1111 1111"],
    "geo_point": ["39.9042,116.4074", "-33.8688,151.2093"],
    "email": ["zhangsan@163.com", "a@example.cn"],
    "person_name": ["张三", "欧阳娜娜", "𠮷野家", "阿依古丽·买买提"],
    "address": ["北京市朝阳区建国路88号", "广东省深圳市南山区科技园1号"],
    "ip_address": ["10.1.2.3", "2001:db8::1"],
    "mac_address": ["AC:DE:48:00:11:22", "ac-de-48-00-11-23"],
    "imei": ["490154203237518"],
    "passport": ["E12345678", "G1234567"],
    "cn.license_plate": ["京A12345", "粤BD12345"],
    "cn.credit_code": ["91350100M000100Y43"],
    "biometric": ["AAECAwQFBgcICQ==", "3q2+7w=="],
}


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def main():
    seal = json.load(open(os.path.join(VECTORS, "seal.json")))["vectors"]
    keyring = json.load(open(os.path.join(VECTORS, "keyring.json")))["keyring_files"]
    token = open(os.path.join(VECTORS, "token.txt")).read().strip()

    for k, samples in SAMPLES.items():
        sel = KINDS.index(k)
        for i, s in enumerate(samples):
            write("parse_kinds", f"{k}-{i}", bytes([sel]) + s.encode())
    write("parse_kinds", "password", bytes([15]) + b"correct horse battery staple")
    write("parse_kinds", "password_hash", bytes([16]) + b"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$"
          b"cVakgZLlHj0vlvnwuJHbM5UeBsvfZ8+c9UHXiHOYSGk")
    write("parse_kinds", "biometric_bytes", bytes([17]) + b"FMR\x00\x01\x02")

    for i, v in enumerate(seal):
        sel = KINDS.index(v["kind"])
        env = bytes.fromhex(v["envelope_hex"])
        write("envelope", f"bytes-{i}", bytes([0, sel]) + env)
        write("envelope", f"text-{i}", bytes([1, sel]) + v["envelope_text"].encode())
        write("envelope", f"mutate-{i}", bytes([2, i, 0, 0, 30, 1]))
        write("envelope", f"mutate-text-{i}", bytes([3, i, 0, 0, 10, 1]))
        ctx = v["context"]
        if len(ctx) >= 2 and ctx[0][0] == "table" and ctx[1][0] == "column":
            lines = [f"{ctx[0][1]}={ctx[1][1]}"] + [f"{n}={x}" for n, x in ctx[2:]]
        else:
            lines = ["none"] + [f"{n}={x}" for n, x in ctx]
        write("envelope", f"context-{i}", bytes([4, i]) + "\n".join(lines).encode())

    write("analytics", "token", bytes([0]) + token.encode())
    write("analytics", "domain", bytes([1]) + b"users.phone")
    for k, samples in SAMPLES.items():
        if k == "biometric":
            continue
        sel = KINDS.index(k)
        write("analytics", f"index-{k}", bytes([2, sel, 12]) + samples[0].encode())
    for j, s in enumerate(["13800138000", "6222021234567894", "11010519491231002X"]):
        write("analytics", f"fpe-{j}", bytes([3, j]) + s.encode())

    for i, v in enumerate(keyring):
        f = bytes.fromhex(v["file_hex"])
        write("keyring_file", f"file-{i}", bytes([0]) + f)
        write("keyring_file", f"file-fixed-{i}", bytes([1]) + f)
    key = lambda i, s, n, m=b"": struct.pack(">IBQ", i, s, n) + m
    payload = struct.pack(">I", 3) + key(1, 3, 1) + key(2, 2, 2, b"\xa5" * 32) + key(3, 1, 3, bytes(range(32)))
    write("keyring_file", "payload", bytes([2]) + payload)
    pin = lambda name, i: struct.pack(">H", len(name)) + name + struct.pack(">I", i)
    pins = struct.pack(">I", 3) + pin(b"pseudonym:analytics", 3) + pin(b"blind_index:analytics", 3) \
        + pin(b"fpe:analytics", 2)
    write("keyring_file", "payload-pins", bytes([2]) + payload + pins)
    # The vector file asking for 1 MiB (over the harness's limits), checksum
    # fixed by mode 1: must be refused with CostTooHigh.
    f = bytearray(bytes.fromhex(keyring[0]["file_hex"]))
    f[8 + f[5]:8 + f[5] + 4] = struct.pack(">I", 1024)
    write("keyring_file", "file-costly", bytes([1]) + bytes(f))

    # Policies: selector bit 0 JSON (else TOML), bit 1 UTF-8 text output.
    for name, path in [("example", "examples/policy.toml"), ("golden", "cli/tests/golden/policy.toml"),
                       ("golden-kanon", "cli/tests/golden/policy-kanon.toml")]:
        text = open(os.path.join(ROOT, path)).read()
        small = "\n".join(l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")) + "\n"
        write("policy", f"{name}-toml", bytes([0]) + small.encode())
        doc = tomllib.loads(text)
        write("policy", f"{name}-json", bytes([3]) + json.dumps(doc, ensure_ascii=False).encode())
    # The example with unnamed columns dropped, children strict, a consent column and no
    # k-anonymity (4 records are all too few for k = 5), so that rows get written.
    text = open(os.path.join(ROOT, "examples/policy.toml")).read()
    doc = tomllib.loads(text)
    doc.update(unnamed_columns="drop", minors="strict", consent_column="consent", on_invalid="mark")
    doc.pop("k_anonymity")
    write("policy", "example-applied-json", bytes([1]) + json.dumps(doc, ensure_ascii=False).encode())

    # detect: a minimum-confidence byte, then text with every detectable kind in it.
    texts = [
        "user 13800138000 failed login from 10.2.3.4, order 913800138000123",
        "联系人：张伟，手机 +86 138-0013-8000，身份证 11010519491231002X，卡号 6222 0212 3456 7894",
        "收货地址：广东省深圳市南山区科技园路1号3栋201室；邮箱 wangfang@example.com；车牌 粤B·D12345",
        "IMEI 49-015420-323751-8, MAC 00-1A-2B-3C-4D-5E, 坐标 39.9042, 116.4074, 护照 E12345678",
        "信用代码 91350100M000100Y43 座机 (010) 6234 5678 转 801 ip 2001:db8::1 电话：１３８００１３８０００",
    ]
    for i, t in enumerate(texts):
        write("detect", f"text-{i}", bytes([50]) + t.encode())
    stream_policy_seeds()
    derive_record_seeds()


# stream_policy: the header columns the harness writes (HEADER in the target).
STREAM_HEADER = ["user_id", "name", "id_number", "mobile", "email", "bank_card", "location", "note", "consent"]
STREAM_ROWS = [
    ["1001", "胡诗萱", "540529195407082043", "17158395937", "junchaoyan@foxmail.com", "6225888319883298",
     "41.25342,94.22004", "secret-1", "true"],
    ["1002", "卢健明", "110105201506010016", "17075972477", "zhao_chen4990@yeah.net", "6259655594852747",
     "42.67151,98.65828", "secret-2", "false"],
    ["1003", "Q", "540529195407082044", "27158395930", "q@@zz.9", "6225888319883299", "97.2,194.2", "", "maybe"],
]


def stream_policy_seeds():
    """Selector: bit 0 JSON Lines (else CSV), bits 1-2 the policy, bit 3 set: the
    input brings its own header / first record, bits 4-5 block size, bit 6 three
    threads, bit 7 a 48-byte record limit."""
    def csv_line(row):
        out = []
        for cell in row:
            out.append('"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell)
        return ",".join(out) + "\n"

    def json_line(row, header=STREAM_HEADER):
        return json.dumps(dict(zip(header, row)), ensure_ascii=False) + "\n"

    rows_csv = "".join(csv_line(r) for r in STREAM_ROWS)
    rows_json = "".join(json_line(r) for r in STREAM_ROWS)
    for policy in range(4):
        write("stream_policy", f"csv-{policy}", bytes([policy << 1 | 0x40]) + rows_csv.encode())
        write("stream_policy", f"jsonl-{policy}", bytes([policy << 1 | 1 | 0x50]) + rows_json.encode())
    write("stream_policy", "csv-own-header", bytes([0x08]) + (csv_line(STREAM_HEADER) + rows_csv).encode())
    write("stream_policy", "jsonl-own-first", bytes([0x09]) + rows_json.encode())
    # The edges the target is for: quoting, repeated keys, nesting, invalid UTF-8, long cells.
    edges_csv = ('1,"a ""quoted"" name",540529195407082043,"171\r\n58395937",x@y.z,,"41.2,94.2",,true\n'
                 '2,"unclosed,540529195407082043\n3,""\n')
    write("stream_policy", "csv-quotes", bytes([0x20]) + edges_csv.encode())
    write("stream_policy", "csv-invalid-utf8", bytes([0x00]) + b"1,\xff\xfe\xe8\x83,540529195407082043,17158395937,,,,,\n")
    write("stream_policy", "csv-long-cell", bytes([0x80]) + b"1," + b"9" * 200 + b",,,,,,,\n")
    edges_json = ('{"user_id": "1", "consent": "false", "mobile": "17158395937", "consent": "true"}\n'
                  '{"user_id": {"a": [1, {"b": null}]}, "name": "胡诗萱"}\n'
                  '{"user_id": 1e400, "name": "\\ud800", "id_number": 540529195407082043}\n'
                  '[1, 2]\n{"extra": "17158395937"}\n')
    write("stream_policy", "jsonl-edges", bytes([0x11]) + edges_json.encode())
    write("stream_policy", "jsonl-invalid-utf8", bytes([0x01]) + b'{"name": "\xff\xfe17158395937"}\n')


def derive_record_seeds():
    """Mode 0: JSON as is; 1: a field byte and a JSON value spliced into the
    harness's sealed record (FIELDS order of the target); 2: byte mutations."""
    fields = ["id", "phone", "phone_index", "id_number", "email", "guardian_id", "backup_phones", "home",
              "plan", "home.address", "home.location"]
    write("derive_record", "raw-plaintext", bytes([0]) + json.dumps(
        {"id": 7, "phone": "13800138000", "phone_index": "0a1b", "id_number": "11010519491231002X",
         "email": "zhangsan@example.com", "guardian_id": 440305199003078155, "backup_phones": [13900139000],
         "home": {"address": "北京市朝阳区建国路88号", "location": None}, "plan": "pro"},
        ensure_ascii=False).encode())
    write("derive_record", "raw-truncated", bytes([0]) + b'{"id": 7, "phone": "dz1.AAAA')
    values = {"string": '"13800138000"', "integer": "13800138000", "list": '["13800138000"]',
              "object": '{"v": "11010519491231002X"}', "null": "null", "bool": "true", "float": "1.5e3",
              "envelope": '"dz1.AAAAAAAA"'}
    for label, value in values.items():
        for i, field in enumerate(fields):
            write("derive_record", f"splice-{field.replace('.', '_')}-{label}", bytes([1, i]) + value.encode())
    write("derive_record", "mutate-none", bytes([2]))
    write("derive_record", "mutate-flip", bytes([2, 0, 0, 40, 1, 0, 0, 90, 7]))


main()
