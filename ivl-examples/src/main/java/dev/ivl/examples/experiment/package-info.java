/**
 * {@code ivl experiment}: a seeded toy-scale replication of inverse value learning's claims — bases of one family
 * pre-trained from random weights on a public-domain corpus, value models trained next to the small base and
 * transferred to the large one, compared with full fine-tuning and proxy tuning on held-out demonstrations.
 * {@link dev.ivl.examples.experiment.Experiment} runs it; the other classes build the data, score the answers and
 * write the report.
 */
package dev.ivl.examples.experiment;
