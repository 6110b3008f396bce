import re, subprocess, sys, yaml
files0 = sys.argv[1:]
for files in [[f] for f in files0]:
 for it in range(30):
     out = subprocess.run(['promtool', 'test', 'rules', *files], capture_output=True, text=True)
     text = out.stdout + out.stderr
     if out.returncode == 0:
         print('all pass'); break
     changed = False
     cur_file = None
     blocks = re.split(r'\n(?=Unit Testing:|  FAILED:)', text)
     for b in re.split(r'Unit Testing:\s+', text)[1:]:
         fname = files[0]
         for m in re.finditer(r'name: (.*?),\n\s+alertname: (\w+), time: (\S+), \n\s+exp:\[(.*?)\], \n\s+got:\[(.*?)\]\n', b, re.S):
             tname, alert, t, exp, got = m.groups()
             gots = re.findall(r'Labels:\{(.*?)\}\n\s+Annotations:\{(.*?)\}\n', got + '\n', re.S)
             if not gots: continue
             doc = yaml.safe_load(open(fname))
             for test in doc['tests']:
                 if test['name'] != tname: continue
                 for c in test['alert_rule_test']:
                     if c['alertname'] == alert and c['eval_time'] == t and c['exp_alerts']:
                         for ea in c['exp_alerts']:
                             for glabels, gann in gots:
                                 gl = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', glabels))
                                 if all(gl.get(k) == str(v) for k, v in ea['exp_labels'].items()) and len(gl) == len(ea['exp_labels']) + 1:
                                     ann = dict((k, bytes(v, 'utf-8').decode('unicode_escape')) for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', gann))
                                     if ea.get('exp_annotations') != ann:
                                         ea['exp_annotations'] = ann; changed = True
             with open(fname) as f: header = ''.join(l for l in f if l.startswith('#'))
             with open(fname, 'w') as f:
                 f.write(header); yaml.safe_dump(doc, f, sort_keys=False, width=100000)
     if not changed:
         print(text[:6000]); break
