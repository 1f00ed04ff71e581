#!/usr/bin/env python3
# Formats schemas/*.json the one way: small objects of scalars on one line (up to 130 columns), the rest one key per line.
# Usage: schemas/format.py schemas/manifest.schema.json > out && mv out schemas/manifest.schema.json
import json,sys,collections
def inline(v):
    return json.dumps(v,ensure_ascii=False,separators=(', ',': ')).replace('{"','{ "').replace('"}','" }') if isinstance(v,dict) else json.dumps(v,ensure_ascii=False,separators=(', ',': '))
def scalar_only(v):
    if isinstance(v,dict): return all(not isinstance(x,(dict,list)) or (isinstance(x,list) and all(not isinstance(y,(dict,list)) for y in x)) for x in v.values())
    if isinstance(v,list): return all(not isinstance(x,(dict,list)) for x in v)
    return True
def one(v):
    if isinstance(v,dict):
        if not v: return '{}'
        return '{ '+', '.join(json.dumps(k,ensure_ascii=False)+': '+one(x) for k,x in v.items())+' }'
    if isinstance(v,list):
        return '['+', '.join(one(x) for x in v)+']'
    return json.dumps(v,ensure_ascii=False)
def fmt(v,ind,prefix_len):
    if isinstance(v,(dict,list)) and scalar_only(v) and ind+prefix_len+len(one(v))<=130:
        return one(v)
    pad='  '*(ind+1)
    if isinstance(v,dict):
        items=[pad+json.dumps(k,ensure_ascii=False)+': '+fmt(x,ind+1,len(json.dumps(k,ensure_ascii=False))+2) for k,x in v.items()]
        return '{\n'+',\n'.join(items)+'\n'+'  '*ind+'}'
    if isinstance(v,list):
        items=[pad+fmt(x,ind+1,0) for x in v]
        return '[\n'+',\n'.join(items)+'\n'+'  '*ind+']'
    return json.dumps(v,ensure_ascii=False)
s=json.load(open(sys.argv[1]),object_pairs_hook=collections.OrderedDict)
sys.stdout.write(fmt(s,0,0)+'\n')
