#!/usr/bin/env python3
"""A labelled corpus for `desensitize::detect`, generated independently of the detector.

Values come from Python Faker's zh_CN provider where it has them (ID numbers, mobile
numbers, names, e-mail, IPv4/IPv6, MAC, licence plates, street names) and otherwise from
small generators written here from the standards (GB 32100 check character for credit
codes, Luhn for cards and IMEIs, GB 11643 for the 15-digit legacy form); nothing is taken
from the crate. Values are placed in ticket, chat, log and form templates, in the forms
people write (spaces, dashes, +86, full-width digits), beside hard negatives: order and
tracking numbers, timestamps, amounts, invalid check digits, and digit runs around valid
numbers. Each line of the output is one document:

    {"text": "...", "template": "log", "spans": [[start_byte, end_byte, "mobile_phone"], ...]}

Usage: corpus.py [--docs N] [--seed S] > corpus.jsonl
Without Faker (pip install faker) it prints one line and exits 0 with no output.
"""
import argparse
import json
import random
import sys

try:
    from faker import Faker
except ImportError:  # pragma: no cover
    print("corpus.py: Python Faker not installed (pip install faker); no corpus", file=sys.stderr)
    sys.exit(0)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
# Real province / city / district triples (GB/T 2260 names), for addresses.
DIVISIONS = [
    ("广东省", "深圳市", "南山区"), ("广东省", "广州市", "天河区"), ("北京市", "", "朝阳区"),
    ("北京市", "", "海淀区"), ("上海市", "", "浦东新区"), ("浙江省", "杭州市", "西湖区"),
    ("江苏省", "南京市", "鼓楼区"), ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"),
    ("山东省", "青岛市", "市南区"), ("福建省", "厦门市", "思明区"), ("陕西省", "西安市", "雁塔区"),
]
AREA_CODES = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0755", "0571", "0512", "0731"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def luhn_digit(payload):
    total = 0
    for i, d in enumerate(reversed(payload)):
        v = int(d) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


def uscc(rng):
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS))
    return body + USCC_ALPHABET[(31 - s % 31) % 31]


def id_check(body17):
    return ID_CHECK[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)

    # --- valid values, as (text, kind) -------------------------------------
    def id_number(self):
        v = self.fake.ssn()
        r = self.rng.random()
        if r < 0.15:  # the legacy 15-digit form of a 20th-century number
            while not v[6:8] == "19":
                v = self.fake.ssn()
            return v[:6] + v[8:17]
        if r < 0.25 and v.endswith("X"):
            return v.lower()
        if r < 0.3:
            return f"{v[:6]} {v[6:14]} {v[14:]}"
        return v

    def mobile_phone(self):
        v = self.fake.phone_number()
        r = self.rng.random()
        if r < 0.15:
            return "+86 " + v
        if r < 0.25:
            return f"{v[:3]} {v[3:7]} {v[7:]}"
        if r < 0.35:
            return f"{v[:3]}-{v[3:7]}-{v[7:]}"
        if r < 0.42:
            return v.translate(FULL_WIDTH)
        if r < 0.47:
            return "0086" + v
        return v

    def landline(self):
        area = self.rng.choice(AREA_CODES)
        n = 8 if len(area) == 3 else self.rng.choice([7, 8])
        local = str(self.rng.randint(2, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(n - 1))
        return f"{area}-{local}" if self.rng.random() < 0.8 else area + local

    def bank_card(self):
        prefix = self.rng.choice(["622202", "621700", "622848", "625965", "436742", "518710"])
        n = self.rng.choice([16, 16, 19])
        body = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(n - 7))
        v = body + luhn_digit(body)
        if self.rng.random() < 0.4:
            return " ".join(v[i:i + 4] for i in range(0, len(v), 4))
        return v

    def imei(self):
        body = self.rng.choice(["86", "35", "01", "99"]) + "".join(str(self.rng.randint(0, 9)) for _ in range(12))
        return body + luhn_digit(body)

    def passport(self):
        return self.rng.choice("EG") + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def geo_point(self):
        d = self.rng.randint(4, 6)
        lat, lon = self.rng.uniform(18, 53), self.rng.uniform(73, 135)
        return f"{lat:.4f}, {lon:.4f}" if self.rng.random() < 0.5 else f"{lat:.{d}f},{lon:.{d}f}"

    def address(self):
        p, c, d = self.rng.choice(DIVISIONS)
        street = self.fake.street_name()
        tail = f"{self.rng.randint(1, 999)}号"
        if self.rng.random() < 0.4:
            tail += f"{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2808)}室"
        return f"{p}{c}{d}{street}{tail}"

    def person_name(self):
        return self.fake.name()

    def value(self, kind):
        simple = {
            "email": self.fake.email, "ip_address": lambda: self.rng.choice([self.fake.ipv4, self.fake.ipv6])(),
            "mac_address": self.fake.mac_address, "license_plate": self.fake.license_plate,
            "credit_code": lambda: uscc(self.rng),
        }
        return simple[kind]() if kind in simple else getattr(self, kind)()

    # --- hard negatives ------------------------------------------------------
    def negative(self):
        r = self.rng
        digits = lambda n: "".join(str(r.randint(0, 9)) for _ in range(n))
        phone = self.fake.phone_number()
        choices = [
            lambda: f"订单号 2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}{digits(10)}",
            lambda: f"运单号 SF{digits(12)}",
            lambda: f"流水号 {digits(1)}{phone}{digits(3)}",
            lambda: f"{2020 + r.randint(0, 5)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
            lambda: f"2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 23):02d}{digits(4)}",
            lambda: f"金额 ¥{r.randint(1, 99)},{digits(3)}.{digits(2)}",
            lambda: f"合计 {r.randint(100, 99999)}.{digits(2)} 元",
            lambda: "身份证 " + self._bad_id(),
            lambda: "卡号 " + self._bad_card(),
            lambda: "代码 " + self._bad_uscc(),
            lambda: f"号码 12{digits(9)}",
            lambda: f"ref {phone}X{digits(2)}",
            lambda: f"version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}",
            lambda: f"耗时 {r.randint(1, 99)}.{digits(2)}, {r.randint(1, 99)}.{digits(2)} 秒",
        ]
        return r.choice(choices)()

    def _bad_id(self):
        v = self.fake.ssn()
        wrong = [c for c in ID_CHECK if c != v[-1]]
        return v[:17] + self.rng.choice(wrong)

    def _bad_card(self):
        body = "622202" + "".join(str(self.rng.randint(0, 9)) for _ in range(9))
        good = luhn_digit(body)
        return body + str((int(good) + self.rng.randint(1, 9)) % 10)

    def _bad_uscc(self):
        v = uscc(self.rng)
        return v[:17] + self.rng.choice([c for c in USCC_ALPHABET if c != v[-1]])


CONTEXT = {
    "id_number": ["身份证", "证件号"], "mobile_phone": ["手机", "电话", "tel"], "landline": ["座机", "电话"],
    "bank_card": ["卡号", "银行卡"], "email": ["邮箱", "email"], "ip_address": ["ip", "from"],
    "mac_address": ["MAC", "mac"], "imei": ["IMEI", "imei"], "passport": ["护照", "护照号"],
    "license_plate": ["车牌", "车牌号"], "credit_code": ["统一社会信用代码", "信用代码"], "geo_point": ["坐标", "定位"],
    "person_name": ["联系人：", "姓名："], "address": ["地址：", "收货地址："],
}
KINDS = list(CONTEXT)


class Doc:
    def __init__(self):
        self.parts, self.spans, self.len = [], [], 0

    def text(self, s):
        self.parts.append(s)
        self.len += len(s.encode())

    def value(self, s, kind):
        start = self.len
        self.text(s)
        self.spans.append([start, self.len, kind])


def fill(gen, doc, template):
    r = gen.rng
    kinds = r.sample(KINDS, r.randint(1, 4))
    opener = {
        "ticket": "【工单】客户来电反映问题，", "chat": "客服：您好，请提供信息。用户：好的，",
        "log": f"2024-05-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} INFO ",
        "form": "登记表 | ",
    }[template]
    doc.text(opener)
    for kind in kinds:
        if r.random() < 0.5:
            doc.text(gen.negative() + "，")
        word = r.choice(CONTEXT[kind])
        value = gen.value(kind)
        if kind == "person_name" and r.random() < 0.4:
            doc.value(value, kind)
            doc.text(r.choice(["先生", "女士"]) + "，")
            continue
        sep = "" if word.endswith("：") else r.choice([" ", "：", "="])
        doc.text(word + sep)
        doc.value(value, kind)
        doc.text(r.choice(["，", "; ", " ", "。"]))
    if r.random() < 0.5:
        doc.text(gen.negative())
    doc.text({"ticket": "，请尽快处理。", "chat": "，谢谢", "log": " done", "form": " |"}[template])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    gen = Gen(args.seed)
    out = sys.stdout
    for i in range(args.docs):
        template = ["ticket", "chat", "log", "form"][i % 4]
        doc = Doc()
        fill(gen, doc, template)
        out.write(json.dumps({"text": "".join(doc.parts), "template": template, "spans": doc.spans},
                             ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
