// PEFT-compatible LoRA: LoraConfig, getPeftModel, PeftModel (save/load in PEFT's format, merge).
export { LoraConfig, LoraConfigError, DEFAULT_LORA_TARGETS, ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, type LoraConfigInit, type TaskType, type LoraBias } from './lora-config';
export { PeftModel, LoraModel, getPeftModel } from './peft-model';
export { loraStateOf, deltaWeight } from './lora-layer';
