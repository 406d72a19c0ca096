"""The golden proofs, as data: `python -m checker.tests.golden_cases` writes checker/tests/golden/*/NAME.apf.

Each case is (folder, name, model, property, expect, body[, options]). The files carry the real
SHA-256 lines of the generated models (nets.py); `test_golden.py` checks that the files on disk
are exactly what this module writes, then checks every file against its `# expect:` line.
Options: `header` replaces the four header lines (with {net} / {prop} for the real hashes),
`raw` gives the whole body as bytes after the comment lines, `xfail` marks a known checker bug.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
HEADER = "apothem-proof 1\nsemantics real\nnetwork sha256:{net}\nproperty sha256:{prop}\n"
ZERO = "0" * 64
F32 = {"header": "apothem-proof 1\nsemantics float32\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}

BETA_PROOF = """1 root 0
2 split 1 relu 1 0 3 4
5 close 3 linear lambda 1 alpha 1 1 1 beta 1 0 1
6 close 4 linear lambda 1 beta 1 0 1
7 unsat"""

NET2A_CROWN = """1 root 0
2 bounds 1 layer 1
3 bounds 1 layer 2
4 split 1 input 0 0 5 6
7 bounds 5 layer 1
8 bounds 5 layer 2
9 close 5 linear lambda 1
10 bounds 6 layer 1
11 bounds 6 layer 2
12 split 6 input 1 0 13 14
15 bounds 13 layer 1
16 bounds 13 layer 2
17 close 13 linear lambda 1
18 bounds 14 layer 1
19 bounds 14 layer 2
20 split 14 input 0 0x1p-1 21 22
23 bounds 21 layer 1
24 bounds 21 layer 2
25 close 21 linear lambda 1
26 bounds 22 layer 1
27 bounds 22 layer 2
28 split 22 input 1 0x1p-1 29 30
31 bounds 29 layer 1
32 bounds 29 layer 2
33 close 29 linear lambda 1
34 bounds 30 layer 1
35 bounds 30 layer 2
36 split 30 input 0 0x3p-2 37 38
39 bounds 37 layer 1
40 bounds 37 layer 2
41 close 37 linear lambda 1
42 bounds 38 layer 1
43 bounds 38 layer 2
44 close 38 linear lambda 1
45 unsat"""

NET2A_INTERVAL = """1 root 0
2 bounds 1 layer 1
3 split 1 input 0 0 4 5
6 bounds 4 layer 1
7 close 4 linear lambda 1
8 bounds 5 layer 1
9 split 5 input 1 0 10 11
12 bounds 10 layer 1
13 close 10 linear lambda 1
14 bounds 11 layer 1
15 split 11 input 0 0x1p-1 16 17
18 bounds 16 layer 1
19 close 16 linear lambda 1
20 bounds 17 layer 1
21 split 17 input 1 0x1p-1 22 23
24 bounds 22 layer 1
25 close 22 linear lambda 1
26 bounds 23 layer 1
27 split 23 input 0 0x3p-2 28 29
30 bounds 28 layer 1
31 close 28 linear lambda 1
32 bounds 29 layer 1
33 close 29 linear lambda 1
34 unsat"""

NET2B_RELU = """1 root 0
2 split 1 relu 2 0 3 4
5 split 3 relu 2 1 6 7
8 close 6 linear lambda 1
9 close 7 linear lambda 1 beta 2 1 1/4
10 split 4 relu 2 1 11 12
13 close 11 linear lambda 1 beta 2 0 1/2
14 close 12 linear lambda 1 beta 2 0 0.5 2 1 0.25
15 unsat"""

A, A_EPS, N2, OPS, LAY = "abs", "abs_eps", "net2", "ops", "layer"
AL = "alpha 2 0 0 2 1 0"  # net2: slope 0 on both neurons of layer 2
LAYER_PROOF = "1 root 0\n2 bounds 1 layer 2 alpha 1 0 1/2 1 1 0x1p-1\n3 close 1 linear lambda 1\n4 unsat"
ABS_CLOSE = "1 root 0\n2 close 1 linear lambda 1\n3 unsat"
# net2_c: disjunct 0 (y0 >= 2) and disjunct 1 (y1 <= 1/16) share the box [-1, 1]^2; a split of neuron (1, 1)
# lets the same slopes close both disjuncts in each leaf (disjunct 0 does not close at the root)
LEAF = "linear disjunct {} lambda 1 " + AL
SHARED = (f"1 root 0 1\n2 split 1 relu 1 1 3 4\n5 close 3 {LEAF.format(0)}\n6 close 3 {LEAF.format(1)}\n"
          f"7 close 4 {LEAF.format(0)}\n8 close 4 {LEAF.format(1)}\n9 unsat")
# disjunct 1 closed at the root, disjunct 0 (like net2_a) in every leaf of an input-split tree;
# NET2A_CROWN's ids times 10 make room for the root's extra close
_TEN = {"root": (0,), "split": (0, 2, 6, 7), "bounds": (0, 2), "close": (0, 2), "unsat": (0,)}
SHARED_SPLIT = "\n".join(
    " ".join(str(10 * int(w)) if i in _TEN[line.split()[1]] else w for i, w in enumerate(line.split()))
    for line in NET2A_CROWN.splitlines()).replace("10 root 0\n", "10 root 0 1\n").replace(
    "30 bounds 10 layer 2\n",
    "30 bounds 10 layer 2\n35 close 10 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n").replace(
    "linear lambda", "linear disjunct 0 lambda")

# Graphs folded into chains (spec 1), proofs written by `apothem verify`: resid (a residual Add over a ReLU
# layer: 8 neurons relu(Conv) then the input carried as relu(x), relu(-x) at 8..15) and maxpool (tournament).
RESID_PROOF = """1 root 0
2 split 1 input 0 0 3 4
5 split 3 input 1 0 6 7
8 split 6 input 2 0 9 10
11 split 9 input 3 0 12 13
14 bounds 12 layer 1
15 close 12 linear lambda 1
16 bounds 13 layer 1
17 close 13 linear lambda 1
18 split 10 input 3 0 19 20
21 bounds 19 layer 1
22 close 19 linear lambda 1
23 bounds 20 layer 1
24 close 20 linear lambda 1
25 split 7 input 2 0 26 27
28 split 26 input 3 0 29 30
31 bounds 29 layer 1
32 close 29 linear lambda 1
33 bounds 30 layer 1
34 close 30 linear lambda 1
35 split 27 input 3 0 36 37
38 bounds 36 layer 1
39 close 36 linear lambda 1
40 bounds 37 layer 1
41 close 37 linear lambda 1
42 split 4 input 1 0 43 44
45 split 43 input 2 0 46 47
48 split 46 input 3 0 49 50
51 bounds 49 layer 1
52 close 49 linear lambda 1
53 bounds 50 layer 1
54 close 50 linear lambda 1
55 split 47 input 3 0 56 57
58 bounds 56 layer 1
59 close 56 linear lambda 1
60 bounds 57 layer 1
61 close 57 linear lambda 1
62 split 44 input 2 0 63 64
65 split 63 input 3 0 66 67
68 bounds 66 layer 1
69 close 66 linear lambda 1
70 bounds 67 layer 1
71 close 67 linear lambda 1
72 split 64 input 3 0 73 74
75 bounds 73 layer 1
76 close 73 linear lambda 1
77 bounds 74 layer 1
78 close 74 linear lambda 1
79 unsat"""
MAXPOOL_PROOF = """1 root 0
2 split 1 input 3 0 3 4
5 split 3 input 1 0 6 7
8 split 6 input 0 0 9 10
11 split 9 input 2 0 12 13
14 split 12 input 0 -0x1p-1 15 16
17 bounds 15 layer 1
18 bounds 15 layer 2
19 close 15 linear lambda 1 alpha 2 1 1 2 2 0x1ff575p-24
20 bounds 16 layer 1
21 bounds 16 layer 2
22 close 16 linear lambda 1 alpha 1 0 0 2 0 0 2 1 1 2 2 0x105ad66dp-30
23 split 13 input 0 -0x1p-1 24 25
26 bounds 24 layer 1
27 bounds 24 layer 2
28 close 24 linear lambda 1
29 bounds 25 layer 1
30 bounds 25 layer 2
31 close 25 linear lambda 1 alpha 1 0 0
32 split 10 input 2 0 33 34
35 split 33 input 0 0x1p-1 36 37
38 bounds 36 layer 1
39 bounds 36 layer 2
40 close 36 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0xdbb07ffp-29
41 split 37 input 2 -0x1p-1 42 43
44 bounds 42 layer 1
45 bounds 42 layer 2
46 close 42 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
47 bounds 43 layer 1
48 bounds 43 layer 2
49 close 43 linear lambda 1 alpha 2 1 1 2 2 0x24e93c3bp-30
50 split 34 input 0 0x1p-1 51 52
53 bounds 51 layer 1
54 bounds 51 layer 2
55 close 51 linear lambda 1
56 split 52 input 0 0x3p-2 57 58
59 bounds 57 layer 1
60 bounds 57 layer 2
61 close 57 linear lambda 1 alpha 2 0 0
62 bounds 58 layer 1
63 bounds 58 layer 2
64 close 58 linear lambda 1 alpha 2 0 0
65 split 7 input 0 0 66 67
68 split 66 input 2 0 69 70
71 split 69 input 1 0x1p-1 72 73
74 bounds 72 layer 1
75 bounds 72 layer 2
76 close 72 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0x1a69741fp-30
77 split 73 input 2 -0x1p-1 78 79
80 bounds 78 layer 1
81 bounds 78 layer 2
82 close 78 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
83 bounds 79 layer 1
84 bounds 79 layer 2
85 close 79 linear lambda 1 alpha 2 1 1 2 2 0x25019bd9p-30
86 split 70 input 1 0x1p-1 87 88
89 bounds 87 layer 1
90 bounds 87 layer 2
91 close 87 linear lambda 1
92 split 88 input 1 0x3p-2 93 94
95 bounds 93 layer 1
96 bounds 93 layer 2
97 close 93 linear lambda 1 alpha 2 0 0
98 bounds 94 layer 1
99 bounds 94 layer 2
100 close 94 linear lambda 1 alpha 2 0 0
101 split 67 input 2 0 102 103
104 split 102 input 0 0x1p-1 105 106
107 split 105 input 1 0x1p-1 108 109
110 split 108 input 0 0x1p-2 111 112
113 bounds 111 layer 1
114 bounds 111 layer 2
115 close 111 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0x6d40979p-28
116 bounds 112 layer 1
117 bounds 112 layer 2
118 close 112 linear lambda 1 alpha 1 0 0 2 0 0 2 1 1 2 2 0x117218a3p-29
119 split 109 input 1 0x3p-2 120 121
122 bounds 120 layer 1
123 bounds 120 layer 2
124 close 120 linear lambda 1 alpha 2 1 1 2 2 0x155aa049p-29
125 split 121 input 2 -0x1p-1 126 127
128 bounds 126 layer 1
129 bounds 126 layer 2
130 close 126 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
131 bounds 127 layer 1
132 bounds 127 layer 2
133 close 127 linear lambda 1 alpha 2 1 1 2 2 0x285e9ab3p-30
134 split 106 input 1 0x1p-1 135 136
137 split 135 input 2 -0x1p-1 138 139
140 bounds 138 layer 1
141 bounds 138 layer 2
142 close 138 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
143 bounds 139 layer 1
144 bounds 139 layer 2
145 close 139 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
146 split 136 input 0 0x3p-2 147 148
149 split 147 input 1 0x3p-2 150 151
152 bounds 150 layer 1
153 bounds 150 layer 2
154 close 150 linear lambda 1 alpha 2 1 1 2 2 0x2aad58bfp-30
155 split 151 input 2 -0x1p-1 156 157
158 bounds 156 layer 1
159 bounds 156 layer 2
160 close 156 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
161 bounds 157 layer 1
162 bounds 157 layer 2
163 close 157 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
164 split 148 input 1 0x3p-2 165 166
167 split 165 input 2 -0x1p-1 168 169
170 bounds 168 layer 1
171 bounds 168 layer 2
172 close 168 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
173 bounds 169 layer 1
174 bounds 169 layer 2
175 close 169 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
176 split 166 input 0 0x7p-3 177 178
179 split 177 input 1 0x7p-3 180 181
182 split 180 input 0 0xdp-4 183 184
185 bounds 183 layer 1
186 bounds 183 layer 2
187 close 183 linear lambda 1 alpha 2 1 1 2 2 0x2aad58bfp-30
188 split 184 input 0 0x1bp-5 189 190
191 bounds 189 layer 1
192 bounds 189 layer 2
193 close 189 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x2aad58bfp-30
194 bounds 190 layer 1
195 bounds 190 layer 2
196 close 190 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x2aad58bfp-30
197 split 181 input 2 -0x1p-1 198 199
200 bounds 198 layer 1
201 bounds 198 layer 2
202 close 198 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
203 bounds 199 layer 1
204 bounds 199 layer 2
205 close 199 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
206 split 178 input 2 -0x1p-1 207 208
209 bounds 207 layer 1
210 bounds 207 layer 2
211 close 207 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x1b787d03p-29
212 split 208 input 0 0xfp-4 213 214
215 bounds 213 layer 1
216 bounds 213 layer 2
217 close 213 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
218 split 214 input 0 0x1fp-5 219 220
221 bounds 219 layer 1
222 bounds 219 layer 2
223 close 219 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
224 bounds 220 layer 1
225 bounds 220 layer 2
226 close 220 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
227 split 103 input 0 0x1p-1 228 229
230 split 228 input 1 0x1p-1 231 232
233 split 231 input 0 0x1p-2 234 235
236 bounds 234 layer 1
237 bounds 234 layer 2
238 close 234 linear lambda 1
239 bounds 235 layer 1
240 bounds 235 layer 2
241 close 235 linear lambda 1 alpha 1 0 0
242 split 232 input 1 0x3p-2 243 244
245 bounds 243 layer 1
246 bounds 243 layer 2
247 close 243 linear lambda 1 alpha 2 0 0
248 bounds 244 layer 1
249 bounds 244 layer 2
250 close 244 linear lambda 1 alpha 2 0 0
251 split 229 input 0 0x3p-2 252 253
254 split 252 input 2 0x1p-1 255 256
257 bounds 255 layer 1
258 bounds 255 layer 2
259 close 255 linear lambda 1 alpha 1 0 0
260 split 256 input 2 0x3p-2 261 262
263 bounds 261 layer 1
264 bounds 261 layer 2
265 close 261 linear lambda 1 alpha 1 0 0 2 0 0
266 split 262 input 0 0x5p-3 267 268
269 bounds 267 layer 1
270 bounds 267 layer 2
271 close 267 linear lambda 1 alpha 1 0 0
272 bounds 268 layer 1
273 bounds 268 layer 2
274 close 268 linear lambda 1 alpha 1 0 0
275 split 253 input 0 0x7p-3 276 277
278 split 276 input 0 0xdp-4 279 280
281 bounds 279 layer 1
282 bounds 279 layer 2
283 close 279 linear lambda 1 alpha 1 0 0 2 0 0
284 bounds 280 layer 1
285 bounds 280 layer 2
286 close 280 linear lambda 1 alpha 1 0 0 2 0 0
287 bounds 277 layer 1
288 bounds 277 layer 2
289 close 277 linear lambda 1 alpha 1 0 0 2 0 0
290 split 4 input 1 0 291 292
293 split 291 input 0 0 294 295
296 split 294 input 3 0x1p-1 297 298
299 split 297 input 2 0 300 301
302 bounds 300 layer 1
303 close 300 linear lambda 1
304 split 301 input 2 0x1p-1 305 306
307 bounds 305 layer 1
308 bounds 305 layer 2
309 close 305 linear lambda 1
310 bounds 306 layer 1
311 bounds 306 layer 2
312 close 306 linear lambda 1
313 split 298 input 3 0x3p-2 314 315
316 bounds 314 layer 1
317 bounds 314 layer 2
318 close 314 linear lambda 1
319 bounds 315 layer 1
320 bounds 315 layer 2
321 close 315 linear lambda 1
322 split 295 input 3 0x1p-1 323 324
325 split 323 input 2 0 326 327
328 bounds 326 layer 1
329 bounds 326 layer 2
330 close 326 linear lambda 1 alpha 2 0 0
331 split 327 input 2 0x1p-1 332 333
334 split 332 input 0 0x1p-1 335 336
337 bounds 335 layer 1
338 bounds 335 layer 2
339 close 335 linear lambda 1
340 bounds 336 layer 1
341 bounds 336 layer 2
342 close 336 linear lambda 1 alpha 2 0 0
343 split 333 input 0 0x1p-1 344 345
346 bounds 344 layer 1
347 bounds 344 layer 2
348 close 344 linear lambda 1
349 split 345 input 1 -0x1p-1 350 351
352 split 350 input 0 0x3p-2 353 354
355 bounds 353 layer 1
356 bounds 353 layer 2
357 close 353 linear lambda 1
358 bounds 354 layer 1
359 bounds 354 layer 2
360 close 354 linear lambda 1 alpha 2 0 0
361 split 351 input 0 0x3p-2 362 363
364 bounds 362 layer 1
365 bounds 362 layer 2
366 close 362 linear lambda 1
367 bounds 363 layer 1
368 bounds 363 layer 2
369 close 363 linear lambda 1 alpha 2 0 0
370 split 324 input 3 0x3p-2 371 372
373 split 371 input 0 0x1p-1 374 375
376 bounds 374 layer 1
377 bounds 374 layer 2
378 close 374 linear lambda 1
379 split 375 input 0 0x3p-2 380 381
382 split 380 input 0 0x5p-3 383 384
385 bounds 383 layer 1
386 bounds 383 layer 2
387 close 383 linear lambda 1
388 bounds 384 layer 1
389 bounds 384 layer 2
390 close 384 linear lambda 1
391 split 381 input 3 0x5p-3 392 393
394 bounds 392 layer 1
395 bounds 392 layer 2
396 close 392 linear lambda 1 alpha 2 0 0
397 bounds 393 layer 1
398 bounds 393 layer 2
399 close 393 linear lambda 1 alpha 2 0 0
400 split 372 input 3 0x7p-3 401 402
403 split 401 input 3 0xdp-4 404 405
406 bounds 404 layer 1
407 bounds 404 layer 2
408 close 404 linear lambda 1
409 bounds 405 layer 1
410 bounds 405 layer 2
411 close 405 linear lambda 1
412 bounds 402 layer 1
413 bounds 402 layer 2
414 close 402 linear lambda 1
415 split 292 input 1 0x1p-1 416 417
418 split 416 input 3 0x1p-1 419 420
421 split 419 input 0 0 422 423
424 split 422 input 3 0x1p-2 425 426
427 split 425 input 1 0x1p-2 428 429
430 bounds 428 layer 1
431 close 428 linear lambda 1
432 bounds 429 layer 1
433 bounds 429 layer 2
434 close 429 linear lambda 1
435 split 426 input 1 0x1p-2 436 437
438 bounds 436 layer 1
439 close 436 linear lambda 1
440 bounds 437 layer 1
441 close 437 linear lambda 1
442 split 423 input 2 0 443 444
445 split 443 input 0 0x1p-1 446 447
448 bounds 446 layer 1
449 close 446 linear lambda 1 alpha 2 0 0
450 bounds 447 layer 1
451 bounds 447 layer 2
452 close 447 linear lambda 1
453 split 444 input 0 0x1p-1 454 455
456 split 454 input 2 0x1p-1 457 458
459 bounds 457 layer 1
460 bounds 457 layer 2
461 close 457 linear lambda 1
462 bounds 458 layer 1
463 bounds 458 layer 2
464 close 458 linear lambda 1
465 split 455 input 2 0x1p-1 466 467
468 bounds 466 layer 1
469 bounds 466 layer 2
470 close 466 linear lambda 1 alpha 2 0 0
471 split 467 input 0 0x3p-2 472 473
474 bounds 472 layer 1
475 bounds 472 layer 2
476 close 472 linear lambda 1
477 bounds 473 layer 1
478 bounds 473 layer 2
479 close 473 linear lambda 1 alpha 2 0 0
480 split 420 input 0 0 481 482
483 split 481 input 3 0x3p-2 484 485
486 bounds 484 layer 1
487 close 484 linear lambda 1
488 bounds 485 layer 1
489 close 485 linear lambda 1
490 split 482 input 0 0x1p-1 491 492
493 split 491 input 3 0x3p-2 494 495
496 split 494 input 3 0x5p-3 497 498
499 bounds 497 layer 1
500 bounds 497 layer 2
501 close 497 linear lambda 1
502 bounds 498 layer 1
503 bounds 498 layer 2
504 close 498 linear lambda 1
505 bounds 495 layer 1
506 bounds 495 layer 2
507 close 495 linear lambda 1
508 split 492 input 3 0x3p-2 509 510
511 split 509 input 0 0x3p-2 512 513
514 split 512 input 0 0x5p-3 515 516
517 bounds 515 layer 1
518 bounds 515 layer 2
519 close 515 linear lambda 1
520 bounds 516 layer 1
521 bounds 516 layer 2
522 close 516 linear lambda 1
523 split 513 input 3 0x5p-3 524 525
526 bounds 524 layer 1
527 bounds 524 layer 2
528 close 524 linear lambda 1 alpha 2 0 0
529 bounds 525 layer 1
530 bounds 525 layer 2
531 close 525 linear lambda 1 alpha 2 0 0
532 split 510 input 3 0x7p-3 533 534
535 split 533 input 0 0x3p-2 536 537
538 bounds 536 layer 1
539 bounds 536 layer 2
540 close 536 linear lambda 1
541 bounds 537 layer 1
542 bounds 537 layer 2
543 close 537 linear lambda 1
544 bounds 534 layer 1
545 bounds 534 layer 2
546 close 534 linear lambda 1
547 split 417 input 2 0 548 549
550 split 548 input 1 0x3p-2 551 552
553 split 551 input 3 0x1p-1 554 555
556 bounds 554 layer 1
557 close 554 linear lambda 1
558 split 555 input 3 0x3p-2 559 560
561 split 559 input 0 0 562 563
564 bounds 562 layer 1
565 close 562 linear lambda 1
566 bounds 563 layer 1
567 close 563 linear lambda 1 alpha 2 0 0
568 split 560 input 1 0x5p-3 569 570
571 bounds 569 layer 1
572 bounds 569 layer 2
573 close 569 linear lambda 1
574 bounds 570 layer 1
575 close 570 linear lambda 1
576 split 552 input 1 0x7p-3 577 578
579 split 577 input 1 0xdp-4 580 581
582 bounds 580 layer 1
583 close 580 linear lambda 1 alpha 2 0 0
584 bounds 581 layer 1
585 close 581 linear lambda 1 alpha 2 0 0
586 bounds 578 layer 1
587 close 578 linear lambda 1 alpha 2 0 0
588 split 549 input 2 0x1p-1 589 590
591 split 589 input 3 0x1p-1 592 593
594 split 592 input 1 0x3p-2 595 596
597 split 595 input 1 0x5p-3 598 599
600 bounds 598 layer 1
601 bounds 598 layer 2
602 close 598 linear lambda 1 alpha 2 0 0
603 bounds 599 layer 1
604 bounds 599 layer 2
605 close 599 linear lambda 1 alpha 2 0 0
606 bounds 596 layer 1
607 bounds 596 layer 2
608 close 596 linear lambda 1
609 split 593 input 1 0x3p-2 610 611
612 split 610 input 3 0x3p-2 613 614
615 split 613 input 0 0 616 617
618 bounds 616 layer 1
619 close 616 linear lambda 1
620 bounds 617 layer 1
621 close 617 linear lambda 1 alpha 2 0 0
622 split 614 input 1 0x5p-3 623 624
625 bounds 623 layer 1
626 bounds 623 layer 2
627 close 623 linear lambda 1
628 bounds 624 layer 1
629 close 624 linear lambda 1
630 split 611 input 1 0x7p-3 631 632
633 split 631 input 0 0 634 635
636 bounds 634 layer 1
637 close 634 linear lambda 1 alpha 2 0 0
638 bounds 635 layer 1
639 close 635 linear lambda 1 alpha 2 0 0
640 bounds 632 layer 1
641 close 632 linear lambda 1 alpha 2 0 0
642 split 590 input 1 0x3p-2 643 644
645 split 643 input 2 0x3p-2 646 647
648 split 646 input 3 0x1p-1 649 650
651 split 649 input 0 0 652 653
654 bounds 652 layer 1
655 close 652 linear lambda 1
656 bounds 653 layer 1
657 bounds 653 layer 2
658 close 653 linear lambda 1 alpha 2 0 0
659 split 650 input 3 0x3p-2 660 661
662 split 660 input 1 0x5p-3 663 664
665 bounds 663 layer 1
666 bounds 663 layer 2
667 close 663 linear lambda 1 alpha 2 0 0
668 bounds 664 layer 1
669 bounds 664 layer 2
670 close 664 linear lambda 1 alpha 2 0 0
671 split 661 input 1 0x5p-3 672 673
674 bounds 672 layer 1
675 bounds 672 layer 2
676 close 672 linear lambda 1
677 bounds 673 layer 1
678 close 673 linear lambda 1
679 split 647 input 0 0 680 681
682 bounds 680 layer 1
683 bounds 680 layer 2
684 close 680 linear lambda 1 alpha 1 1 0
685 split 681 input 0 0x1p-1 686 687
688 bounds 686 layer 1
689 bounds 686 layer 2
690 close 686 linear lambda 1 alpha 1 1 0
691 split 687 input 0 0x3p-2 692 693
694 split 692 input 0 0x5p-3 695 696
697 bounds 695 layer 1
698 bounds 695 layer 2
699 close 695 linear lambda 1 alpha 1 1 0
700 bounds 696 layer 1
701 bounds 696 layer 2
702 close 696 linear lambda 1 alpha 1 0 0 1 1 0
703 split 693 input 2 0x7p-3 704 705
706 bounds 704 layer 1
707 bounds 704 layer 2
708 close 704 linear lambda 1 alpha 1 1 0
709 bounds 705 layer 1
710 bounds 705 layer 2
711 close 705 linear lambda 1 alpha 1 1 0
712 split 644 input 3 0x1p-1 713 714
715 split 713 input 1 0x7p-3 716 717
718 split 716 input 0 0 719 720
721 bounds 719 layer 1
722 bounds 719 layer 2
723 close 719 linear lambda 1 alpha 2 0 0
724 bounds 720 layer 1
725 bounds 720 layer 2
726 close 720 linear lambda 1 alpha 2 0 0
727 bounds 717 layer 1
728 bounds 717 layer 2
729 close 717 linear lambda 1 alpha 2 0 0
730 split 714 input 2 0x3p-2 731 732
733 split 731 input 1 0x7p-3 734 735
736 split 734 input 3 0x3p-2 737 738
739 bounds 737 layer 1
740 close 737 linear lambda 1 alpha 2 0 0
741 bounds 738 layer 1
742 close 738 linear lambda 1 alpha 2 0 0
743 split 735 input 1 0xfp-4 744 745
746 bounds 744 layer 1
747 bounds 744 layer 2
748 close 744 linear lambda 1 alpha 2 0 0
749 bounds 745 layer 1
750 bounds 745 layer 2
751 close 745 linear lambda 1 alpha 2 0 0
752 split 732 input 1 0x7p-3 753 754
755 split 753 input 2 0x7p-3 756 757
758 split 756 input 1 0xdp-4 759 760
761 bounds 759 layer 1
762 bounds 759 layer 2
763 close 759 linear lambda 1 alpha 1 1 0
764 bounds 760 layer 1
765 bounds 760 layer 2
766 close 760 linear lambda 1 alpha 1 1 0 2 0 0
767 bounds 757 layer 1
768 bounds 757 layer 2
769 close 757 linear lambda 1 alpha 1 1 0
770 split 754 input 2 0x7p-3 771 772
773 bounds 771 layer 1
774 bounds 771 layer 2
775 close 771 linear lambda 1 alpha 1 1 0 2 0 0
776 bounds 772 layer 1
777 bounds 772 layer 2
778 close 772 linear lambda 1 alpha 1 1 0 2 0 0
779 unsat"""

CASES = [
    # ---------------------------------------------------------------- valid ----------------------
    ("valid", "root_close_linear", A, "abs_neg", "valid unsat", ABS_CLOSE),
    ("valid", "root_close_linear_hex_lambda", A, "abs_neg", "valid unsat",
     "1 root 0\n2 close 1 linear lambda 0x1.8p-1\n3 unsat"),
    ("valid", "root_close_linear_fraction_lambda", A, "abs_neg", "valid unsat",
     "10 root 0\n20 close 10 linear lambda 3/7\n30 unsat"),
    ("valid", "split_relu_beta", A, "abs_one", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_tight", A_EPS, "abs_zero", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_property_margin", A, "abs_tight", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_fractional_lambda", A_EPS, "abs_zero", "valid unsat",
     BETA_PROOF.replace("lambda 1 alpha 1 1 1 beta 1 0 1", "lambda 1/3 alpha 1 1 1 beta 1 0 1/3")
               .replace("lambda 1 beta 1 0 1", "lambda 1/3 beta 1 0 1/3")),
    ("valid", "split_relu_layer2", N2, "net2_b0", "valid unsat", NET2B_RELU),
    ("valid", "split_relu_layer2_fraction_in_property", N2, "net2_b", "valid unsat", NET2B_RELU),
    ("valid", "bounds_layer_alpha", LAY, "layer_a", "valid unsat", LAYER_PROOF),
    # `neurons`: only the listed neurons of layer 2 are bounded backward; neuron 1's upper bound is the one needed
    ("valid", "bounds_layer_neurons", LAY, "layer_a", "valid unsat", LAYER_PROOF.replace("layer 2", "layer 2 neurons 1")),
    ("valid", "bounds_layer_neurons_repeated", LAY, "layer_a", "valid unsat",
     LAYER_PROOF.replace("layer 2", "layer 2 neurons 1 1 0")),
    ("valid", "bounds_layer_hint_on_later_layer_ignored", LAY, "layer_a", "valid unsat",
     LAYER_PROOF.replace("0x1p-1", "0x1p-1 2 0 1")),
    ("valid", "alpha_hints", N2, "net2_b", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("valid", "alpha_hint_on_stable_neuron_ignored", N2, "net2_b0", "valid unsat",
     "1 root 0\n2 split 1 relu 2 0 3 4\n5 close 3 linear lambda 1 alpha 2 1 0 2 0 1/2\n"
     "6 close 4 linear lambda 1 alpha 2 1 0 2 0 0 beta 2 0 1/2\n7 unsat"),
    ("valid", "input_splits_crown", N2, "net2_a", "valid unsat", NET2A_CROWN),
    ("valid", "input_splits_interval", N2, "net2_a", "valid unsat", NET2A_INTERVAL),
    ("valid", "two_disjuncts_one_box_two_roots", N2, "net2_c", "valid unsat",
     f"1 root 0\n2 split 1 relu 1 1 3 4\n5 close 3 linear lambda 1 {AL}\n6 close 4 linear lambda 1 {AL}\n"
     f"7 root 1\n8 close 7 linear lambda 1 {AL}\n9 unsat"),
    ("valid", "two_disjuncts_two_boxes", A, "abs_or", "valid unsat",
     "1 root 1\n2 close 1 linear lambda 1\n3 root 0\n4 close 3 linear lambda 1\n5 unsat"),
    ("valid", "two_constraints_two_lambdas", A, "abs_two", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("valid", "two_constraints_zero_lambda", A, "abs_half", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 0\n3 unsat"),
    ("valid", "shared_root", N2, "net2_c", "valid unsat", SHARED),
    ("valid", "shared_root_listed_in_other_order", N2, "net2_c", "valid unsat",
     f"1 root 1 0\n2 split 1 relu 1 1 3 4\n5 close 3 {LEAF.format(1)}\n6 close 3 {LEAF.format(0)}\n"
     f"7 close 4 {LEAF.format(0)}\n8 close 4 {LEAF.format(1)}\n9 unsat"),
    ("valid", "shared_root_split_crown", N2, "net2_c", "valid unsat", SHARED_SPLIT),
    ("valid", "root_close_named_disjunct", A, "abs_neg", "valid unsat", "1 root 0\n2 close 1 linear disjunct 0 lambda 1\n3 unsat"),
    ("valid", "ops_network", OPS, "ops_a", "valid unsat",
     "1 root 0\n2 bounds 1 layer 1\n3 close 1 linear lambda 1\n4 unsat"),
    ("valid", "input_split_threshold_outside_box", A, "abs_neg",
     "valid unsat", "1 root 0\n2 split 1 input 0 5 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1\n7 unsat"),
    ("valid", "witness_sat", A, "abs_sat", "valid sat", "1 witness 0 0x1p-3\n2 sat 1"),
    ("valid", "witness_sat_decimal", A, "abs_high", "valid sat", "1 witness 0 -0.8\n2 sat 1"),
    ("valid", "witness_strict_bounds", A, "abs_strict", "valid sat", "1 witness 0 -1/4\n2 sat 1"),
    ("valid", "witness_net2", N2, "net2_sat", "valid sat", "1 witness 0 1 1\n2 sat 1"),
    ("valid", "witness_with_open_nodes", A, "abs_sat", "valid sat", "1 root 0\n2 split 1 relu 1 0 3 4\n5 witness 0 0\n6 sat 5"),
    ("valid", "comments_and_blank_lines", A, "abs_neg", "valid unsat",
     "# a comment\n\n1 root 0   # trailing comment\n\n2 close 1 linear lambda 1\n3 unsat\n\n# after the verdict\n\n"),
    ("valid", "crlf_line_ends", A, "abs_neg", "valid unsat", None,
     {"raw": (HEADER + ABS_CLOSE + "\n").replace("\n", "\r\n")}),
    # ---------------------------------------------------------------- invalid: ids and nodes ------
    ("invalid", "id_repeated", A, "abs_neg", "invalid step 1 ID_ORDER", "1 root 0\n1 close 1 linear lambda 1\n2 unsat"),
    ("invalid", "id_decreasing", A, "abs_neg", "invalid step 3 ID_ORDER", "5 root 0\n3 close 5 linear lambda 1\n6 unsat"),
    ("invalid", "id_children_swapped", A, "abs_one", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 relu 1 0 4 3\n5 unsat"),
    ("invalid", "id_child_equals_step", A, "abs_one", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 relu 1 0 2 3\n5 unsat"),
    ("invalid", "id_children_equal", A, "abs_neg", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 input 0 0 3 3\n5 unsat"),
    ("invalid", "id_reuses_child_id", A, "abs_one", "invalid step 4 ID_ORDER",
     "1 root 0\n2 split 1 relu 1 0 3 4\n4 close 3 linear lambda 1\n5 unsat"),
    ("invalid", "node_never_opened", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 close 7 linear lambda 1\n3 unsat"),
    ("invalid", "node_forward_reference", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 close 3 linear lambda 1\n3 root 1\n4 unsat"),
    ("invalid", "node_self_reference", A, "abs_neg", "invalid step 2 UNKNOWN_NODE",
     "1 root 0\n2 bounds 2 layer 1\n3 unsat"),
    ("invalid", "node_already_split", A, "abs_one", "invalid step 5 UNKNOWN_NODE",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 1 linear lambda 1\n6 unsat"),
    ("invalid", "node_closed_twice", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 close 1 linear lambda 1\n4 unsat"),
    ("invalid", "split_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 split 1 input 0 0 4 5\n6 unsat"),
    ("invalid", "bounds_on_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 bounds 1 layer 1\n4 unsat"),
    ("invalid", "witness_id_as_node", A, "abs_sat", "invalid step 2 UNKNOWN_NODE",
     "1 witness 0 0\n2 close 1 linear lambda 1\n3 sat 1"),
    # ---------------------------------------------------------------- BAD_INDEX --------------------
    ("invalid", "root_bad_disjunct", A, "abs_neg", "invalid step 1 BAD_INDEX", "1 root 1\n2 unsat"),
    ("invalid", "root_bad_disjunct_two", A, "abs_or", "invalid step 3 BAD_INDEX",
     "1 root 0\n2 close 1 linear lambda 1\n3 root 2\n4 unsat"),
    ("invalid", "split_input_bad_index", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 input 1 0 3 4\n5 unsat"),
    ("invalid", "split_relu_layer_zero", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 0 0 3 4\n5 unsat"),
    ("invalid", "split_relu_output_layer", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 2 0 3 4\n5 unsat"),
    ("invalid", "split_relu_bad_neuron", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 2 2 3 4\n5 unsat"),
    ("invalid", "alpha_bad_neuron", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 9 0\n3 unsat"),
    ("invalid", "alpha_bad_layer", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 close 1 linear lambda 1 alpha 3 0 0\n3 unsat"),
    ("invalid", "beta_bad_layer", A, "abs_one", "invalid step 5 BAD_INDEX",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 0 0 1\n6 unsat"),
    ("invalid", "witness_bad_disjunct", A, "abs_sat", "invalid step 1 BAD_INDEX", "1 witness 1 0\n2 sat 1"),
    # ---------------------------------------------------------------- rule-specific -------------
    ("invalid", "duplicate_root", A, "abs_neg", "invalid step 3 DUPLICATE_ROOT",
     "1 root 0\n2 close 1 linear lambda 1\n3 root 0\n4 unsat"),
    ("invalid", "duplicate_root_open", A, "abs_or", "invalid step 2 DUPLICATE_ROOT", "1 root 1\n2 root 1\n3 unsat"),
    ("invalid", "shared_root_close_unnamed", N2, "net2_c", "invalid step 2 BAD_DISJUNCT",
     f"1 root 0 1\n2 close 1 linear lambda 1 {AL}\n3 unsat"),
    ("invalid", "shared_root_closed_twice", N2, "net2_c", "invalid step 3 BAD_DISJUNCT",
     f"1 root 0 1\n2 close 1 {LEAF.format(1)}\n3 close 1 {LEAF.format(1)}\n4 unsat"),
    ("invalid", "close_disjunct_of_other_node", N2, "net2_c", "invalid step 2 BAD_DISJUNCT",
     "1 root 0\n2 close 1 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("invalid", "shared_root_certificate_of_other_disjunct", N2, "net2_c", "invalid step 2 NOT_POSITIVE",
     "1 root 0 1\n2 close 1 linear disjunct 0 lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("invalid", "shared_root_one_disjunct_left", N2, "net2_c", "invalid step 3 OPEN_NODES",
     f"1 root 0 1\n2 close 1 {LEAF.format(1)}\n3 unsat"),
    ("invalid", "shared_root_leaf_left", N2, "net2_c", "invalid step 450 OPEN_NODES",
     SHARED_SPLIT.replace("440 close 380 linear disjunct 0 lambda 1\n", "")),
    ("invalid", "shared_root_repeated_disjunct", N2, "net2_c", "invalid step 1 DUPLICATE_ROOT", "1 root 0 0\n2 unsat"),
    ("invalid", "shared_root_after_root", N2, "net2_c", "invalid step 3 DUPLICATE_ROOT",
     "1 root 1\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0\n3 root 0 1\n4 unsat"),
    ("invalid", "shared_root_bad_disjunct", N2, "net2_c", "invalid step 1 BAD_INDEX", "1 root 0 2\n2 unsat"),
    ("invalid", "shared_root_boxes_differ", A, "abs_or", "invalid step 1 BOX_MISMATCH", "1 root 0 1\n2 unsat"),
    ("invalid", "already_split", A, "abs_one", "invalid step 5 ALREADY_SPLIT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 split 4 relu 1 0 6 7\n8 unsat"),
    ("invalid", "already_split_after_input_split", N2, "net2_b", "invalid step 8 ALREADY_SPLIT",
     "1 root 0\n2 split 1 relu 2 1 3 4\n5 split 3 input 0 0 6 7\n8 split 7 relu 2 1 9 10\n11 unsat"),
    ("invalid", "lambda_too_many", A, "abs_neg", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("invalid", "lambda_too_few", A, "abs_two", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "lambda_negative", A, "abs_two", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1 -1/1024\n3 unsat"),
    ("invalid", "lambda_negative_hex", A, "abs_neg", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda -0x1p-70\n3 unsat"),
    ("invalid", "bounds_layer_default_slopes", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace(" alpha 1 0 1/2 1 1 0x1p-1", "")),
    ("invalid", "bounds_layer_slope_moved", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("1 0 1/2 1 1 0x1p-1", "1 0 5/8 1 1 5/8")),
    ("invalid", "bounds_layer_crown_instead", LAY, "layer_a", "invalid step 4 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 layer 1\n3 bounds 1 layer 2\n4 close 1 linear lambda 1\n5 unsat"),
    ("invalid", "bounds_layer_zero", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 0")),
    ("invalid", "bounds_layer_first_layer", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("layer 2", "layer 1")),
    ("invalid", "bounds_layer_output_layer", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 3")),
    ("invalid", "bounds_layer_alpha_bad_neuron", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("1 1 0x1p-1", "1 2 0x1p-1")),
    ("invalid", "bounds_layer_neurons_other", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("layer 2", "layer 2 neurons 0")),
    ("invalid", "bounds_layer_neurons_bad_index", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 2 neurons 1 2")),
    ("invalid", "bounds_layer_alpha_above_one", LAY, "layer_a", "invalid step 2 BAD_ALPHA",
     LAYER_PROOF.replace("1/2", "3/2")),
    ("invalid", "bounds_layer_duplicate_alpha", LAY, "layer_a", "invalid step 2 DUPLICATE_HINT",
     LAYER_PROOF.replace("1 1 0x1p-1", "1 0 0x1p-1")),
    ("invalid", "bounds_layer_unknown_node", LAY, "layer_a", "invalid step 2 UNKNOWN_NODE",
     LAYER_PROOF.replace("bounds 1", "bounds 3")),
    ("invalid", "alpha_above_one", N2, "net2_b", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 1.0000001\n3 unsat"),
    ("invalid", "alpha_negative", N2, "net2_b", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 -1/8 2 1 0\n3 unsat"),
    ("invalid", "alpha_above_one_stable", A, "abs_or", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 1 0 2\n3 unsat"),
    ("invalid", "beta_negative", A, "abs_one", "invalid step 6 BAD_BETA",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1 beta 1 0 -1\n7 unsat"),
    ("invalid", "beta_not_split_root", A, "abs_neg", "invalid step 2 BETA_NOT_SPLIT", "1 root 0\n2 close 1 linear lambda 1 beta 1 0 0\n3 unsat"),
    ("invalid", "beta_other_neuron", A, "abs_one", "invalid step 5 BETA_NOT_SPLIT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 1 1 1\n6 unsat"),
    ("invalid", "beta_sibling_split", A, "abs_one", "invalid step 9 BETA_NOT_SPLIT",
     "1 root 0\n2 split 1 input 0 0 3 4\n5 split 3 relu 1 0 6 7\n8 close 6 linear lambda 1\n"
     "9 close 4 linear lambda 1 beta 1 0 1\n10 unsat"),
    ("invalid", "duplicate_alpha", N2, "net2_b", "invalid step 2 DUPLICATE_HINT", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0 2 0 0\n3 unsat"),
    ("invalid", "duplicate_beta", A, "abs_one", "invalid step 6 DUPLICATE_HINT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1 beta 1 0 1 1 0 1/2\n7 unsat"),
    ("invalid", "not_positive_zero_lambda", A, "abs_neg", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 0\n3 unsat"),
    ("invalid", "not_positive_root", N2, "net2_a", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_default_alpha", N2, "net2_b", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_one_alpha_missing", N2, "net2_b", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0\n3 unsat"),
    ("invalid", "not_positive_beta_missing", A, "abs_one", "invalid step 6 NOT_POSITIVE",
     BETA_PROOF.replace("lambda 1 beta 1 0 1", "lambda 1")),
    ("invalid", "not_positive_beta_too_big", A_EPS, "abs_zero", "invalid step 5 NOT_POSITIVE",
     BETA_PROOF.replace("beta 1 0 1\n6", "beta 1 0 0x1.0000000000001p0\n6")),
    ("invalid", "not_positive_split_without_bounds", N2, "net2_a", "invalid step 7 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 layer 1\n3 bounds 1 layer 2\n4 split 1 input 0 0 5 6\n7 close 5 linear lambda 1\n8 unsat"),
    ("invalid", "not_positive_sat_property", A, "abs_sat", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_strict_margin", A, "abs_high", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("invalid", "witness_arity_long", A, "abs_sat", "invalid step 1 WITNESS_ARITY", "1 witness 0 0 0\n2 sat 1"),
    ("invalid", "witness_arity_short", N2, "net2_sat", "invalid step 1 WITNESS_ARITY", "1 witness 0 1\n2 sat 1"),
    ("invalid", "witness_outside", A, "abs_sat", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 2\n2 sat 1"),
    ("invalid", "witness_outside_second_input", N2, "net2_sat", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 1 1.0000000001\n2 sat 1"),
    ("invalid", "witness_outside_strict_exact", A, "abs_strict", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 -1/2\n2 sat 1"),
    ("invalid", "witness_outside_other_box", A, "abs_or", "invalid step 1 WITNESS_OUTSIDE", "1 witness 1 0.5\n2 sat 1"),
    ("invalid", "witness_safe", A, "abs_sat", "invalid step 1 WITNESS_SAFE", "1 witness 0 1\n2 sat 1"),
    ("invalid", "witness_safe_strict_exact", A, "abs_strict", "invalid step 1 WITNESS_SAFE", "1 witness 0 0.5\n2 sat 1"),
    ("invalid", "witness_safe_second_constraint", A, "abs_high", "invalid step 1 WITNESS_SAFE", "1 witness 0 0.9\n2 sat 1"),
    ("invalid", "witness_safe_unsat_property", A, "abs_neg", "invalid step 1 WITNESS_SAFE", "1 witness 0 0\n2 sat 1"),
    ("invalid", "unknown_witness", A, "abs_sat", "invalid step 1 UNKNOWN_WITNESS", "1 sat 7"),
    ("invalid", "unknown_witness_root", A, "abs_sat", "invalid step 2 UNKNOWN_WITNESS", "1 root 0\n2 sat 1"),
    ("invalid", "unknown_witness_forward", A, "abs_sat", "invalid step 1 UNKNOWN_WITNESS", "1 sat 2\n2 witness 0 0"),
    ("invalid", "missing_root", A, "abs_or", "invalid step 3 MISSING_ROOT", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "missing_root_none", A, "abs_neg", "invalid step 1 MISSING_ROOT", "1 unsat"),
    ("invalid", "open_nodes_root", A, "abs_neg", "invalid step 2 OPEN_NODES", "1 root 0\n2 unsat"),
    ("invalid", "open_nodes_leaf", A, "abs_one", "invalid step 6 OPEN_NODES",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 4 linear lambda 1 beta 1 0 1\n6 unsat"),
    ("invalid", "open_nodes_second_disjunct", A, "abs_or", "invalid step 4 OPEN_NODES",
     "1 root 0\n2 close 1 linear lambda 1\n3 root 1\n4 unsat"),
    ("invalid", "after_verdict_unsat", A, "abs_neg", "invalid step 4 AFTER_VERDICT", ABS_CLOSE + "\n4 unsat"),
    ("invalid", "after_verdict_sat", A, "abs_sat", "invalid step 3 AFTER_VERDICT", "1 witness 0 0\n2 sat 1\n3 root 0"),
    ("invalid", "after_verdict_same_line", A, "abs_neg", "invalid step 3 AFTER_VERDICT", ABS_CLOSE + "\n3 unsat"),
    # ---------------------------------------------------------------- invalid without a step ----
    ("invalid", "no_verdict", A, "abs_neg", "invalid NO_VERDICT", "1 root 0\n2 close 1 linear lambda 1"),
    ("invalid", "no_verdict_no_steps", A, "abs_neg", "invalid NO_VERDICT", ""),
    ("invalid", "hash_network", A, "abs_neg", "invalid HASH_NETWORK", ABS_CLOSE,
     {"header": f"apothem-proof 1\nsemantics real\nnetwork sha256:{ZERO}\nproperty sha256:{{prop}}\n"}),
    ("invalid", "hash_network_of_other_model", A, "abs_neg", "invalid HASH_NETWORK", ABS_CLOSE, {"header_net": "abs_eps"}),
    ("invalid", "hash_property", A, "abs_neg", "invalid HASH_PROPERTY", ABS_CLOSE,
     {"header": f"apothem-proof 1\nsemantics real\nnetwork sha256:{{net}}\nproperty sha256:{ZERO}\n"}),
    ("invalid", "hash_property_of_other_property", A, "abs_neg", "invalid HASH_PROPERTY", ABS_CLOSE, {"header_prop": "abs_one"}),
    ("valid", "float32_abs_neg", A, "abs_neg", "valid unsat", ABS_CLOSE, F32),
    ("valid", "shift_real_unsat", "shift", "shift_ge", "valid unsat", ABS_CLOSE),
    ("invalid", "shift_float32_unsat", "shift", "shift_ge", "invalid step 2 NOT_POSITIVE", ABS_CLOSE, F32),
    ("valid", "shift_float32_witness", "shift", "shift_ge", "valid sat", "1 witness 0 0x1.8p0\n2 sat 1", F32),
    ("valid", "shift_real_witness", "shift", "shift_le", "valid sat", "1 witness 0 0x1.8p0\n2 sat 1"),
    ("invalid", "shift_float32_witness_safe", "shift", "shift_le", "invalid step 1 WITNESS_SAFE",
     "1 witness 0 0x1.8p0\n2 sat 1", F32),
    ("invalid", "shift_float32_witness_not_binary32", "shift", "shift_ge", "invalid step 1 WITNESS_NOT_FLOAT32",
     "1 witness 0 1.3\n2 sat 1", F32),
    ("invalid", "shift_float32_overflow", "shift", "shift_huge", "invalid step 1 FLOAT32_OVERFLOW", ABS_CLOSE, F32),
    ("valid", "shift_real_no_overflow", "shift", "shift_huge", "valid unsat", ABS_CLOSE),
    ("valid", "resid_unsat", "resid", "resid_neg", "valid unsat", RESID_PROOF),
    ("valid", "resid_float32_unsat", "resid", "resid_neg", "valid unsat", RESID_PROOF, F32),
    ("invalid", "resid_carried_neuron_index", "resid", "resid_neg", "invalid step 2 BAD_INDEX",
     "1 root 0\n2 split 1 relu 1 16 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1\n7 unsat"),
    ("invalid", "resid_carried_neuron_alpha", "resid", "resid_neg", "invalid step 15 BAD_ALPHA",
     RESID_PROOF.replace("15 close 12 linear lambda 1", "15 close 12 linear lambda 1 alpha 1 8 2")),
    ("invalid", "resid_leaf_removed", "resid", "resid_neg", "invalid step 79 OPEN_NODES",
     RESID_PROOF.replace("14 bounds 12 layer 1\n15 close 12 linear lambda 1\n", "")),
    ("valid", "maxpool_unsat", "maxpool", "maxpool_neg", "valid unsat", MAXPOOL_PROOF),
    ("invalid", "maxpool_root_layer_1", "maxpool", "maxpool_neg", "invalid step 3 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 layer 1\n3 close 1 linear lambda 1\n4 unsat"),
    ("valid", "maxpool_witness", "maxpool", "maxpool_low", "valid sat", "1 witness 0 -1 -1 -0.75 -1\n2 sat 1"),
    ("valid", "maxpool_float32_witness", "maxpool", "maxpool_low", "valid sat", "1 witness 0 -1 -1 -0.75 -1\n2 sat 1", F32),
    ("invalid", "maxpool_witness_safe", "maxpool", "maxpool_low", "invalid step 1 WITNESS_SAFE",
     "1 witness 0 -1 -0.25 -1 -1\n2 sat 1"),
    ("invalid", "header_version_2", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 2\nsemantics real\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("invalid", "header_missing_semantics", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 1\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("invalid", "header_order", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics real\nproperty sha256:{prop}\nnetwork sha256:{net}\n"}),
    ("invalid", "header_missing", A, "abs_neg", "invalid HEADER", ABS_CLOSE, {"header": ""}),
    ("invalid", "header_repeated_after_steps", A, "abs_neg", "invalid HEADER",
     "1 root 0\nsemantics real\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "header_only_comments", A, "abs_neg", "invalid HEADER", "", {"header": "# nothing here\n"}),
    # ---------------------------------------------------------------- parse errors ---------------
    ("parse_error", "unknown_rule", A, "abs_neg", "invalid PARSE", "1 root 0\n2 trust 1\n3 unsat"),
    ("parse_error", "decimal_exponent", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1e-3\n3 unsat"),
    ("parse_error", "inf", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda inf\n3 unsat"),
    ("parse_error", "nan_witness", A, "abs_sat", "invalid PARSE", "1 witness 0 nan\n2 sat 1"),
    ("parse_error", "float_without_leading_digit", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda .5\n3 unsat"),
    ("parse_error", "hex_without_exponent", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 0x1.8\n3 unsat"),
    ("parse_error", "negative_id", A, "abs_neg", "invalid PARSE", "-1 root 0\n2 unsat"),
    ("parse_error", "fractional_id", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1.0 linear lambda 1\n3 unsat"),
    ("parse_error", "hex_index", A, "abs_neg", "invalid PARSE", "1 root 0x0p0\n2 unsat"),
    ("parse_error", "fraction_index", N2, "net2_b", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 1/1 0\n3 unsat"),
    ("parse_error", "division_by_zero", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1/0\n3 unsat"),
    ("parse_error", "missing_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear\n3 unsat"),
    ("parse_error", "empty_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda\n3 unsat"),
    ("parse_error", "bounds_layer_without_index", LAY, "layer_a", "invalid PARSE",
     "1 root 0\n2 bounds 1 layer\n3 close 1 linear lambda 1\n4 unsat"),
    ("parse_error", "bounds_layer_beta", LAY, "layer_a", "invalid PARSE", LAYER_PROOF.replace("alpha", "beta")),
    ("parse_error", "bounds_layer_neurons_empty", LAY, "layer_a", "invalid PARSE",
     LAYER_PROOF.replace("layer 2", "layer 2 neurons")),
    ("parse_error", "bounds_layer_neurons_after_alpha", LAY, "layer_a", "invalid PARSE",
     LAYER_PROOF.replace("0x1p-1", "0x1p-1 neurons 1")),
    ("parse_error", "alpha_pair", N2, "net2_b", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0\n3 unsat"),
    ("parse_error", "beta_before_alpha", A, "abs_one", "invalid PARSE",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 1 0 1 alpha 1 1 1\n6 unsat"),
    ("parse_error", "root_without_disjunct", A, "abs_neg", "invalid PARSE", "1 root\n2 unsat"),
    ("parse_error", "disjunct_after_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 disjunct 0\n3 unsat"),
    ("parse_error", "disjunct_without_index", A, "abs_neg", "invalid PARSE",
     "1 root 0\n2 close 1 linear disjunct lambda 1\n3 unsat"),
    ("parse_error", "disjunct_twice", N2, "net2_c", "invalid PARSE",
     "1 root 0 1\n2 close 1 linear disjunct 0 1 lambda 1\n3 unsat"),
    ("parse_error", "bounds_unknown_method", A, "abs_neg", "invalid PARSE", "1 root 0\n2 bounds 1 lp\n3 unsat"),
    # the two bounds rules replaced by `bounds N layer K` (spec 4.4): a proof using them does not parse
    ("parse_error", "bounds_interval_removed", A, "abs_neg", "invalid PARSE", "1 root 0\n2 bounds 1 interval\n3 unsat"),
    ("parse_error", "bounds_crown_removed", N2, "net2_a", "invalid PARSE", "1 root 0\n2 bounds 1 crown\n3 unsat"),
    # rules of earlier drafts of version 1, removed (spec 4.6): a proof using them does not parse
    ("parse_error", "close_z3_removed", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 z3\n3 unsat"),
    ("parse_error", "hole_removed", A, "abs_neg", "invalid PARSE", '1 root 0\n2 hole 1 "left to the reader"\n3 unsat'),
    ("parse_error", "split_missing_child", A, "abs_neg", "invalid PARSE", "1 root 0\n2 split 1 input 0 0 3\n4 unsat"),
    ("parse_error", "step_without_id", A, "abs_neg", "invalid PARSE", "root 0\n2 unsat"),
    ("parse_error", "two_steps_one_line", A, "abs_neg", "invalid PARSE", "1 root 0 2 close 1 linear lambda 1\n3 unsat"),
    ("parse_error", "uppercase_hash", A, "abs_neg", "invalid PARSE", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics real\nnetwork sha256:{NET}\nproperty sha256:{prop}\n"}),
    ("parse_error", "semantics_unknown", A, "abs_neg", "invalid PARSE", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics float64\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("parse_error", "not_utf8", A, "abs_neg", "invalid PARSE", None,
     {"raw": HEADER + "1 root 0\n2 close 1 linear lambda 1  # caf\xe9\n3 unsat\n"}),
    ("parse_error", "nul_byte", A, "abs_neg", "invalid PARSE", None, {"raw": HEADER + "1 root 0\x00\n2 unsat\n"}),
    ("parse_error", "truncated_mid_line", N2, "net2_b", "invalid PARSE", None,
     {"raw": HEADER + "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1"}),
    ("parse_error", "number_too_long", A, "abs_neg", "invalid LIMIT", "1 root 0\n2 close 1 linear lambda 1" + "0" * 10_001 + "\n3 unsat"),
    ("parse_error", "hex_exponent_huge", A, "abs_neg", "invalid LIMIT", "1 root 0\n2 close 1 linear lambda 0x1p-99999999\n3 unsat"),
]


def render(case, models_dir: Path) -> bytes:
    folder, name, model, prop, expect, body, *rest = case
    opts = rest[0] if rest else {}
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
    net_h = sha(models_dir / f"{opts.get('header_net', model)}.onnx")
    prop_h = sha(models_dir / f"{opts.get('header_prop', prop)}.vnnlib")
    lines = [f"# model: models/{model}.onnx", f"# property: models/{prop}.vnnlib", f"# expect: {expect}"]
    if "xfail" in opts:
        lines.append(f"# xfail: {opts['xfail']}")
    top = "".join(line + "\n" for line in lines)
    fmt = dict(net=net_h, prop=prop_h, NET=net_h.upper())
    if "raw" in opts:
        raw = opts["raw"].format(**fmt)
        return top.encode() + raw.encode("latin-1")  # latin-1: the not_utf8 case needs a lone 0xE9 byte
    head = opts.get("header", HEADER).format(**fmt)
    text = head + (body + "\n" if body else "")
    return (top + text).encode()


def write_all(golden: Path = GOLDEN) -> list[Path]:
    out = []
    for case in CASES:
        path = golden / case[0] / f"{case[1]}.apf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(case, golden / "models"))
        out.append(path)
    return out


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN):
        print(p)
