# Task 4: RFC 4231 HMAC-SHA-256 test cases 1,2,3,4,6,7 (keys/data/expected typed from knowledge), verified with hmac.
import hmac, hashlib, sys
TC={
1:("0b"*20, b"Hi There".hex(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
2:(b"Jefe".hex(), b"what do ya want for nothing?".hex(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
3:("aa"*20, "dd"*50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
4:("0102030405060708090a0b0c0d0e0f10111213141516171819", "cd"*50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
6:("aa"*131, b"Test Using Larger Than Block-Size Key - Hash Key First".hex(), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
7:("aa"*131, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".hex(), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
}
print("# python", sys.version.split()[0])
ok=True
for k,(key,data,exp) in TC.items():
    got=hmac.new(bytes.fromhex(key),bytes.fromhex(data),hashlib.sha256).hexdigest()
    print(f"TC{k}: computed={got} expected={exp} match={got==exp}"); ok&=got==exp
print("ALL MATCH" if ok else "MISMATCH")
print("\n# ready-to-paste (key_hex, data_hex, hmac_sha256_hex):")
for k,(key,data,exp) in TC.items(): print(f'// RFC 4231 TC{k}\n("{key}",\n "{data}",\n "{exp}"),')
