# Builds the markdown table for Task 1 from t1_out_scipy.csv and t1_out_R.csv; checks DS qbinom.interp equivalence.
def rows(fn):
    L=[l.strip() for l in open(fn) if not l.startswith('#')]
    return L
S=rows('t1_out_scipy.csv'); Rl=rows('t1_out_R.csv')
hs=S[0].split(','); hr=Rl[0].split(',')
Sd={}; 
for l in S[1:]:
    f=dict(zip(hs,l.split(','))); Sd[(int(f['n']),float(f['p0']),float(f['P']))]=f
Rd={}; i=1
while i<len(Rl) and not Rl[i].startswith('n,p0,DS'):
    f=dict(zip(hr,Rl[i].split(','))); Rd[(int(f['n']),float(f['p0']),float(f['P']))]=f; i+=1
DS={}
hd=Rl[i].split(','); 
for l in Rl[i+1:]:
    f=dict(zip(hd,l.split(','))); DS[(int(f['n']),float(f['p0']))]=f
md=0.0
for (n,p0),f in DS.items():
    md=max(md,abs(float(f['DS_lower_0.001'])-float(Rd[(n,p0,0.001)]['limA'])),abs(float(f['DS_lower_0.025'])-float(Rd[(n,p0,0.025)]['limA'])),
           abs(float(f['DS_upper_0.025'])-float(Rd[(n,p0,0.975)]['limB_upper'])),abs(float(f['DS_upper_0.001'])-float(Rd[(n,p0,0.999)]['limB_upper'])))
print(f"<!-- max |Spiegelhalter qbinom.interp (unclamped) - our variant A(lower)/B(upper)| = {md:.3g} -->")
print("| n | p0 | P | r_P | alpha (R) | limit A = (r_P-alpha)/n, scipy | limit A, R | abs diff | limit B = (r_P+1-alpha)/n, R (upper P only) |")
print("|---|---|---|---|---|---|---|---|---|")
mx=0
for k in Sd:
    s,r=Sd[k],Rd[k]; d=abs(float(s['limA'])-float(r['limA'])); mx=max(mx,d)
    B=r['limB_upper'] if k[2]>0.5 else ""
    print(f"| {k[0]} | {r['p0']} | {r['P']} | {r['rP']} | {float(r['alpha']):.15g} | {s['limA']} | {r['limA']} | {d:.1e} | {B} |")
print(f"\nmax |scipy - R| over all 96 limit-A values = {mx:.3g}")
