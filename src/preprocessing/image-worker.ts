// Worker thread of ImagePreprocessPool: decode + convert + resize + rescale/normalise, and
// return the CHW Float32Array as a transferable.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeImage } from './image-decode';
import { imageProcessorFromDict } from './image-processors';
import { Rng, deriveSeed, imageClassificationTransforms, type ImageTensor } from './image-transforms';
import type { WorkerInit, WorkerJob, WorkerReply } from './image-worker-pool';

const init = workerData as WorkerInit;
// one libvips thread per worker: the pool itself is the parallelism
sharp.concurrency(1);
sharp.cache(false);

// the processor class named by image_processor_type (DeiT, CLIP, ConvNeXt, ... crop as their models expect)
const processor = imageProcessorFromDict(init.processor, 'ImagePreprocessPool processor');
const transforms = init.transform === 'processor' ? null : imageClassificationTransforms(processor, init.augment ?? {})[init.transform];

async function handle(job: WorkerJob): Promise<WorkerReply> {
  const name = typeof job.input === 'string' ? job.input : job.name ?? `image ${job.index}`;
  try {
    const img = await decodeImage(job.input, { name });
    let out: ImageTensor;
    if (transforms) {
      out = transforms.apply(img, new Rng(deriveSeed(init.seed, job.epoch, job.index)));
    } else {
      out = processor.processImage(img, {}, name);
    }
    return { id: job.id, data: out.data, shape: out.shape };
  } catch (e) {
    return { id: job.id, error: String((e as Error)?.message ?? e) };
  }
}

parentPort!.on('message', (job: WorkerJob) => {
  void handle(job).then((reply) => {
    parentPort!.postMessage(reply, reply.data ? [reply.data.buffer as ArrayBuffer] : []);
  });
});
