/**
 * The one place the CLI gets its model factory from. Today it resolves the real `createModel` of
 * src/model/factory.ts lazily (src/train/model-factory.ts); tests pass their own factory to
 * `makeTrainCommand` / `makeEvalCommand` / `makeGenerateCommand` instead.
 */
import { defaultModelFactory, type ModelFactory } from "../train/model-factory.js";

export type FactoryProvider = () => Promise<ModelFactory>;

export const cliModelFactory: FactoryProvider = defaultModelFactory;
