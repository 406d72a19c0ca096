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
2 bounds 1 crown
3 split 1 input 0 0 4 5
6 bounds 4 crown
7 close 4 linear lambda 1
8 bounds 5 crown
9 split 5 input 1 0 10 11
12 bounds 10 crown
13 close 10 linear lambda 1
14 bounds 11 crown
15 split 11 input 0 0x1p-1 16 17
18 bounds 16 crown
19 close 16 linear lambda 1
20 bounds 17 crown
21 split 17 input 1 0x1p-1 22 23
24 bounds 22 crown
25 close 22 linear lambda 1
26 bounds 23 crown
27 split 23 input 0 0x3p-2 28 29
30 bounds 28 crown
31 close 28 linear lambda 1
32 bounds 29 crown
33 close 29 linear lambda 1
34 unsat"""

NET2A_INTERVAL = """1 root 0
2 bounds 1 interval
3 split 1 input 0 0 4 5
6 bounds 4 interval
7 close 4 linear lambda 1
8 bounds 5 interval
9 split 5 input 1 0 10 11
12 bounds 10 interval
13 close 10 linear lambda 1
14 bounds 11 interval
15 split 11 input 0 0x1p-1 16 17
18 bounds 16 interval
19 close 16 linear lambda 1
20 bounds 17 interval
21 split 17 input 1 0x1p-1 22 23
24 bounds 22 interval
25 close 22 linear lambda 1
26 bounds 23 interval
27 split 23 input 0 0x3p-2 28 29
30 bounds 28 interval
31 close 28 linear lambda 1
32 bounds 29 interval
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
    "20 bounds 10 crown\n", "20 bounds 10 crown\n25 close 10 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n").replace(
    "linear lambda", "linear disjunct 0 lambda")

# Graphs folded into chains (spec 1), proofs written by `apothem verify`: resid (a residual Add over a ReLU
# layer: 8 neurons relu(Conv) then the input carried as relu(x), relu(-x) at 8..15) and maxpool (tournament).
RESID_PROOF = """1 root 0
2 split 1 input 0 0 3 4
5 split 3 input 1 0 6 7
8 split 6 input 2 0 9 10
11 split 9 input 3 0 12 13
14 bounds 12 interval
15 close 12 linear lambda 1
16 bounds 13 interval
17 close 13 linear lambda 1
18 split 10 input 3 0 19 20
21 bounds 19 interval
22 close 19 linear lambda 1
23 bounds 20 interval
24 close 20 linear lambda 1
25 split 7 input 2 0 26 27
28 split 26 input 3 0 29 30
31 bounds 29 interval
32 close 29 linear lambda 1
33 bounds 30 interval
34 close 30 linear lambda 1
35 split 27 input 3 0 36 37
38 bounds 36 interval
39 close 36 linear lambda 1
40 bounds 37 interval
41 close 37 linear lambda 1
42 split 4 input 1 0 43 44
45 split 43 input 2 0 46 47
48 split 46 input 3 0 49 50
51 bounds 49 interval
52 close 49 linear lambda 1
53 bounds 50 interval
54 close 50 linear lambda 1
55 split 47 input 3 0 56 57
58 bounds 56 interval
59 close 56 linear lambda 1
60 bounds 57 interval
61 close 57 linear lambda 1
62 split 44 input 2 0 63 64
65 split 63 input 3 0 66 67
68 bounds 66 interval
69 close 66 linear lambda 1
70 bounds 67 interval
71 close 67 linear lambda 1
72 split 64 input 3 0 73 74
75 bounds 73 interval
76 close 73 linear lambda 1
77 bounds 74 interval
78 close 74 linear lambda 1
79 unsat"""
MAXPOOL_PROOF = """1 root 0
2 split 1 input 3 0 3 4
5 split 3 input 1 0 6 7
8 split 6 input 0 0 9 10
11 split 9 input 2 0 12 13
14 split 12 input 0 -0x1p-1 15 16
17 bounds 15 crown
18 close 15 linear lambda 1 alpha 2 1 1 2 2 0x1ff575p-24
19 bounds 16 crown
20 close 16 linear lambda 1 alpha 1 0 0 2 0 0 2 1 1 2 2 0x105ad66dp-30
21 split 13 input 0 -0x1p-1 22 23
24 bounds 22 crown
25 close 22 linear lambda 1
26 bounds 23 crown
27 close 23 linear lambda 1 alpha 1 0 0
28 split 10 input 2 0 29 30
31 split 29 input 0 0x1p-1 32 33
34 bounds 32 crown
35 close 32 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0xdbb07ffp-29
36 split 33 input 2 -0x1p-1 37 38
39 bounds 37 crown
40 close 37 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
41 bounds 38 crown
42 close 38 linear lambda 1 alpha 2 1 1 2 2 0x24e93c3bp-30
43 split 30 input 0 0x1p-1 44 45
46 bounds 44 crown
47 close 44 linear lambda 1
48 split 45 input 0 0x3p-2 49 50
51 bounds 49 crown
52 close 49 linear lambda 1 alpha 2 0 0
53 bounds 50 crown
54 close 50 linear lambda 1 alpha 2 0 0
55 split 7 input 0 0 56 57
58 split 56 input 2 0 59 60
61 split 59 input 1 0x1p-1 62 63
64 bounds 62 crown
65 close 62 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0x1a69741fp-30
66 split 63 input 2 -0x1p-1 67 68
69 bounds 67 crown
70 close 67 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
71 bounds 68 crown
72 close 68 linear lambda 1 alpha 2 1 1 2 2 0x25019bd9p-30
73 split 60 input 1 0x1p-1 74 75
76 bounds 74 crown
77 close 74 linear lambda 1
78 split 75 input 1 0x3p-2 79 80
81 bounds 79 crown
82 close 79 linear lambda 1 alpha 2 0 0
83 bounds 80 crown
84 close 80 linear lambda 1 alpha 2 0 0
85 split 57 input 2 0 86 87
88 split 86 input 0 0x1p-1 89 90
91 split 89 input 1 0x1p-1 92 93
94 split 92 input 0 0x1p-2 95 96
97 bounds 95 crown
98 close 95 linear lambda 1 alpha 2 0 0 2 1 1 2 2 0x6d40979p-28
99 bounds 96 crown
100 close 96 linear lambda 1 alpha 1 0 0 2 0 0 2 1 1 2 2 0x117218a3p-29
101 split 93 input 1 0x3p-2 102 103
104 bounds 102 crown
105 close 102 linear lambda 1 alpha 2 1 1 2 2 0x155aa049p-29
106 split 103 input 2 -0x1p-1 107 108
109 bounds 107 crown
110 close 107 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
111 bounds 108 crown
112 close 108 linear lambda 1 alpha 2 1 1 2 2 0x285e9ab3p-30
113 split 90 input 1 0x1p-1 114 115
116 split 114 input 2 -0x1p-1 117 118
119 bounds 117 crown
120 close 117 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
121 bounds 118 crown
122 close 118 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
123 split 115 input 0 0x3p-2 124 125
126 split 124 input 1 0x3p-2 127 128
129 bounds 127 crown
130 close 127 linear lambda 1 alpha 2 1 1 2 2 0x2aad58bfp-30
131 split 128 input 2 -0x1p-1 132 133
134 bounds 132 crown
135 close 132 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
136 bounds 133 crown
137 close 133 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
138 split 125 input 1 0x3p-2 139 140
141 split 139 input 2 -0x1p-1 142 143
144 bounds 142 crown
145 close 142 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
146 bounds 143 crown
147 close 143 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
148 split 140 input 0 0x7p-3 149 150
151 split 149 input 1 0x7p-3 152 153
154 split 152 input 0 0xdp-4 155 156
157 bounds 155 crown
158 close 155 linear lambda 1 alpha 2 1 1 2 2 0x2aad58bfp-30
159 split 156 input 0 0x1bp-5 160 161
162 bounds 160 crown
163 close 160 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x2aad58bfp-30
164 bounds 161 crown
165 close 161 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x2aad58bfp-30
166 split 153 input 2 -0x1p-1 167 168
169 bounds 167 crown
170 close 167 linear lambda 1 alpha 2 1 1 2 2 0x1b787d03p-29
171 bounds 168 crown
172 close 168 linear lambda 1 alpha 2 1 1 2 2 0x50a4eb3p-27
173 split 150 input 2 -0x1p-1 174 175
176 bounds 174 crown
177 close 174 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x1b787d03p-29
178 split 175 input 0 0xfp-4 179 180
181 bounds 179 crown
182 close 179 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
183 split 180 input 0 0x1fp-5 184 185
186 bounds 184 crown
187 close 184 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
188 bounds 185 crown
189 close 185 linear lambda 1 alpha 1 0 0 2 1 1 2 2 0x13497dafp-29
190 split 87 input 0 0x1p-1 191 192
193 split 191 input 1 0x1p-1 194 195
196 split 194 input 0 0x1p-2 197 198
199 bounds 197 crown
200 close 197 linear lambda 1
201 bounds 198 crown
202 close 198 linear lambda 1 alpha 1 0 0
203 split 195 input 1 0x3p-2 204 205
206 bounds 204 crown
207 close 204 linear lambda 1 alpha 2 0 0
208 bounds 205 crown
209 close 205 linear lambda 1 alpha 2 0 0
210 split 192 input 0 0x3p-2 211 212
213 split 211 input 2 0x1p-1 214 215
216 bounds 214 crown
217 close 214 linear lambda 1 alpha 1 0 0
218 split 215 input 2 0x3p-2 219 220
221 bounds 219 crown
222 close 219 linear lambda 1 alpha 1 0 0 2 0 0
223 split 220 input 0 0x5p-3 224 225
226 bounds 224 crown
227 close 224 linear lambda 1 alpha 1 0 0
228 bounds 225 crown
229 close 225 linear lambda 1 alpha 1 0 0
230 split 212 input 0 0x7p-3 231 232
233 split 231 input 0 0xdp-4 234 235
236 bounds 234 crown
237 close 234 linear lambda 1 alpha 1 0 0 2 0 0
238 bounds 235 crown
239 close 235 linear lambda 1 alpha 1 0 0 2 0 0
240 bounds 232 crown
241 close 232 linear lambda 1 alpha 1 0 0 2 0 0
242 split 4 input 1 0 243 244
245 split 243 input 0 0 246 247
248 split 246 input 3 0x1p-1 249 250
251 split 249 input 2 0 252 253
254 bounds 252 interval
255 close 252 linear lambda 1
256 split 253 input 2 0x1p-1 257 258
259 bounds 257 crown
260 close 257 linear lambda 1
261 bounds 258 crown
262 close 258 linear lambda 1
263 split 250 input 3 0x3p-2 264 265
266 bounds 264 crown
267 close 264 linear lambda 1
268 bounds 265 crown
269 close 265 linear lambda 1
270 split 247 input 3 0x1p-1 271 272
273 split 271 input 2 0 274 275
276 bounds 274 crown
277 close 274 linear lambda 1 alpha 2 0 0
278 split 275 input 2 0x1p-1 279 280
281 split 279 input 0 0x1p-1 282 283
284 bounds 282 crown
285 close 282 linear lambda 1
286 bounds 283 crown
287 close 283 linear lambda 1 alpha 2 0 0
288 split 280 input 0 0x1p-1 289 290
291 bounds 289 crown
292 close 289 linear lambda 1
293 split 290 input 1 -0x1p-1 294 295
296 split 294 input 0 0x3p-2 297 298
299 bounds 297 crown
300 close 297 linear lambda 1
301 bounds 298 crown
302 close 298 linear lambda 1 alpha 2 0 0
303 split 295 input 0 0x3p-2 304 305
306 bounds 304 crown
307 close 304 linear lambda 1
308 bounds 305 crown
309 close 305 linear lambda 1 alpha 2 0 0
310 split 272 input 3 0x3p-2 311 312
313 split 311 input 0 0x1p-1 314 315
316 bounds 314 crown
317 close 314 linear lambda 1
318 split 315 input 0 0x3p-2 319 320
321 split 319 input 0 0x5p-3 322 323
324 bounds 322 crown
325 close 322 linear lambda 1
326 bounds 323 crown
327 close 323 linear lambda 1
328 split 320 input 3 0x5p-3 329 330
331 bounds 329 crown
332 close 329 linear lambda 1 alpha 2 0 0
333 bounds 330 crown
334 close 330 linear lambda 1 alpha 2 0 0
335 split 312 input 3 0x7p-3 336 337
338 split 336 input 3 0xdp-4 339 340
341 bounds 339 crown
342 close 339 linear lambda 1
343 bounds 340 crown
344 close 340 linear lambda 1
345 bounds 337 crown
346 close 337 linear lambda 1
347 split 244 input 1 0x1p-1 348 349
350 split 348 input 3 0x1p-1 351 352
353 split 351 input 0 0 354 355
356 split 354 input 3 0x1p-2 357 358
359 split 357 input 1 0x1p-2 360 361
362 bounds 360 interval
363 close 360 linear lambda 1
364 bounds 361 crown
365 close 361 linear lambda 1
366 split 358 input 1 0x1p-2 367 368
369 bounds 367 interval
370 close 367 linear lambda 1
371 bounds 368 interval
372 close 368 linear lambda 1
373 split 355 input 2 0 374 375
376 split 374 input 0 0x1p-1 377 378
379 bounds 377 interval
380 close 377 linear lambda 1 alpha 2 0 0
381 bounds 378 crown
382 close 378 linear lambda 1
383 split 375 input 0 0x1p-1 384 385
386 split 384 input 2 0x1p-1 387 388
389 bounds 387 crown
390 close 387 linear lambda 1
391 bounds 388 crown
392 close 388 linear lambda 1
393 split 385 input 2 0x1p-1 394 395
396 bounds 394 crown
397 close 394 linear lambda 1 alpha 2 0 0
398 split 395 input 0 0x3p-2 399 400
401 bounds 399 crown
402 close 399 linear lambda 1
403 bounds 400 crown
404 close 400 linear lambda 1 alpha 2 0 0
405 split 352 input 0 0 406 407
408 split 406 input 3 0x3p-2 409 410
411 bounds 409 interval
412 close 409 linear lambda 1
413 bounds 410 interval
414 close 410 linear lambda 1
415 split 407 input 0 0x1p-1 416 417
418 split 416 input 3 0x3p-2 419 420
421 split 419 input 3 0x5p-3 422 423
424 bounds 422 crown
425 close 422 linear lambda 1
426 bounds 423 crown
427 close 423 linear lambda 1
428 bounds 420 crown
429 close 420 linear lambda 1
430 split 417 input 3 0x3p-2 431 432
433 split 431 input 0 0x3p-2 434 435
436 split 434 input 0 0x5p-3 437 438
439 bounds 437 crown
440 close 437 linear lambda 1
441 bounds 438 crown
442 close 438 linear lambda 1
443 split 435 input 3 0x5p-3 444 445
446 bounds 444 crown
447 close 444 linear lambda 1 alpha 2 0 0
448 bounds 445 crown
449 close 445 linear lambda 1 alpha 2 0 0
450 split 432 input 3 0x7p-3 451 452
453 split 451 input 0 0x3p-2 454 455
456 bounds 454 crown
457 close 454 linear lambda 1
458 bounds 455 crown
459 close 455 linear lambda 1
460 bounds 452 crown
461 close 452 linear lambda 1
462 split 349 input 2 0 463 464
465 split 463 input 1 0x3p-2 466 467
468 split 466 input 3 0x1p-1 469 470
471 bounds 469 interval
472 close 469 linear lambda 1
473 split 470 input 3 0x3p-2 474 475
476 split 474 input 0 0 477 478
479 bounds 477 interval
480 close 477 linear lambda 1
481 bounds 478 interval
482 close 478 linear lambda 1 alpha 2 0 0
483 split 475 input 1 0x5p-3 484 485
486 bounds 484 crown
487 close 484 linear lambda 1
488 bounds 485 interval
489 close 485 linear lambda 1
490 split 467 input 1 0x7p-3 491 492
493 split 491 input 1 0xdp-4 494 495
496 bounds 494 interval
497 close 494 linear lambda 1 alpha 2 0 0
498 bounds 495 interval
499 close 495 linear lambda 1 alpha 2 0 0
500 bounds 492 interval
501 close 492 linear lambda 1 alpha 2 0 0
502 split 464 input 2 0x1p-1 503 504
505 split 503 input 3 0x1p-1 506 507
508 split 506 input 1 0x3p-2 509 510
511 split 509 input 1 0x5p-3 512 513
514 bounds 512 crown
515 close 512 linear lambda 1 alpha 2 0 0
516 bounds 513 crown
517 close 513 linear lambda 1 alpha 2 0 0
518 bounds 510 crown
519 close 510 linear lambda 1
520 split 507 input 1 0x3p-2 521 522
523 split 521 input 3 0x3p-2 524 525
526 split 524 input 0 0 527 528
529 bounds 527 interval
530 close 527 linear lambda 1
531 bounds 528 interval
532 close 528 linear lambda 1 alpha 2 0 0
533 split 525 input 1 0x5p-3 534 535
536 bounds 534 crown
537 close 534 linear lambda 1
538 bounds 535 interval
539 close 535 linear lambda 1
540 split 522 input 1 0x7p-3 541 542
543 split 541 input 0 0 544 545
546 bounds 544 interval
547 close 544 linear lambda 1 alpha 2 0 0
548 bounds 545 interval
549 close 545 linear lambda 1 alpha 2 0 0
550 bounds 542 interval
551 close 542 linear lambda 1 alpha 2 0 0
552 split 504 input 1 0x3p-2 553 554
555 split 553 input 2 0x3p-2 556 557
558 split 556 input 3 0x1p-1 559 560
561 split 559 input 0 0 562 563
564 bounds 562 interval
565 close 562 linear lambda 1
566 bounds 563 crown
567 close 563 linear lambda 1 alpha 2 0 0
568 split 560 input 3 0x3p-2 569 570
571 split 569 input 1 0x5p-3 572 573
574 bounds 572 crown
575 close 572 linear lambda 1 alpha 2 0 0
576 bounds 573 crown
577 close 573 linear lambda 1 alpha 2 0 0
578 split 570 input 1 0x5p-3 579 580
581 bounds 579 crown
582 close 579 linear lambda 1
583 bounds 580 interval
584 close 580 linear lambda 1
585 split 557 input 0 0 586 587
588 bounds 586 crown
589 close 586 linear lambda 1 alpha 1 1 0
590 split 587 input 0 0x1p-1 591 592
593 bounds 591 crown
594 close 591 linear lambda 1 alpha 1 1 0
595 split 592 input 0 0x3p-2 596 597
598 split 596 input 0 0x5p-3 599 600
601 bounds 599 crown
602 close 599 linear lambda 1 alpha 1 1 0
603 bounds 600 crown
604 close 600 linear lambda 1 alpha 1 0 0 1 1 0
605 split 597 input 2 0x7p-3 606 607
608 bounds 606 crown
609 close 606 linear lambda 1 alpha 1 1 0
610 bounds 607 crown
611 close 607 linear lambda 1 alpha 1 1 0
612 split 554 input 3 0x1p-1 613 614
615 split 613 input 1 0x7p-3 616 617
618 split 616 input 0 0 619 620
621 bounds 619 crown
622 close 619 linear lambda 1 alpha 2 0 0
623 bounds 620 crown
624 close 620 linear lambda 1 alpha 2 0 0
625 bounds 617 crown
626 close 617 linear lambda 1 alpha 2 0 0
627 split 614 input 2 0x3p-2 628 629
630 split 628 input 1 0x7p-3 631 632
633 split 631 input 3 0x3p-2 634 635
636 bounds 634 interval
637 close 634 linear lambda 1 alpha 2 0 0
638 bounds 635 interval
639 close 635 linear lambda 1 alpha 2 0 0
640 split 632 input 1 0xfp-4 641 642
643 bounds 641 crown
644 close 641 linear lambda 1 alpha 2 0 0
645 bounds 642 crown
646 close 642 linear lambda 1 alpha 2 0 0
647 split 629 input 1 0x7p-3 648 649
650 split 648 input 2 0x7p-3 651 652
653 split 651 input 1 0xdp-4 654 655
656 bounds 654 crown
657 close 654 linear lambda 1 alpha 1 1 0
658 bounds 655 crown
659 close 655 linear lambda 1 alpha 1 1 0 2 0 0
660 bounds 652 crown
661 close 652 linear lambda 1 alpha 1 1 0
662 split 649 input 2 0x7p-3 663 664
665 bounds 663 crown
666 close 663 linear lambda 1 alpha 1 1 0 2 0 0
667 bounds 664 crown
668 close 664 linear lambda 1 alpha 1 1 0 2 0 0
669 unsat"""

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
    ("valid", "ops_network", OPS, "ops_a", "valid unsat", "1 root 0\n2 bounds 1 crown\n3 close 1 linear lambda 1\n4 unsat"),
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
    ("invalid", "node_self_reference", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 bounds 2 interval\n3 unsat"),
    ("invalid", "node_already_split", A, "abs_one", "invalid step 5 UNKNOWN_NODE",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 1 linear lambda 1\n6 unsat"),
    ("invalid", "node_closed_twice", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 close 1 linear lambda 1\n4 unsat"),
    ("invalid", "split_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 split 1 input 0 0 4 5\n6 unsat"),
    ("invalid", "bounds_on_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 bounds 1 crown\n4 unsat"),
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
    ("invalid", "shared_root_leaf_left", N2, "net2_c", "invalid step 340 OPEN_NODES",
     SHARED_SPLIT.replace("330 close 290 linear disjunct 0 lambda 1\n", "")),
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
    ("invalid", "bounds_layer_crown_instead", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("layer 2 alpha 1 0 1/2 1 1 0x1p-1", "crown")),
    ("invalid", "bounds_layer_first_layer", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 1")),
    ("invalid", "bounds_layer_output_layer", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 3")),
    ("invalid", "bounds_layer_alpha_bad_neuron", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("1 1 0x1p-1", "1 2 0x1p-1")),
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
    ("invalid", "not_positive_split_without_bounds", N2, "net2_a", "invalid step 6 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 crown\n3 split 1 input 0 0 4 5\n6 close 4 linear lambda 1\n7 unsat"),
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
     RESID_PROOF.replace("14 bounds 12 interval\n15 close 12 linear lambda 1\n", "")),
    ("valid", "maxpool_unsat", "maxpool", "maxpool_neg", "valid unsat", MAXPOOL_PROOF),
    ("invalid", "maxpool_root_interval", "maxpool", "maxpool_neg", "invalid step 3 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 interval\n3 close 1 linear lambda 1\n4 unsat"),
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
