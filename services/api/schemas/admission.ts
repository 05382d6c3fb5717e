/** Schemas of the admission route: AdmissionReview in and out (shared/gate/admission-review.ts). */
import { Type } from 'typebox';
export { AdmissionResponseSchema, AdmissionReviewSchema } from '../../../shared/gate/admission-review.js';
import { PolicyNameSchema } from './verdicts.js';

export const AdmissionParams = Type.Object({ policy: PolicyNameSchema });
