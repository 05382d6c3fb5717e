/** Schemas of the webhook routes: the `?registry=` parameter and the replies. */
import { Type } from 'typebox';

export const WebhookQuery = Type.Object({ registry: Type.Optional(Type.String({ maxLength: 255 })) });

export const WebhookReplySchema = Type.Object(
  {
    queued: Type.Array(Type.Object({ id: Type.String(), image: Type.String(), existed: Type.Boolean() })),
    ignored: Type.Integer(),
    unconfigured: Type.Integer(),
    /** Deletions announced and recorded (images marked deleted, tags dropped). */
    deleted: Type.Optional(Type.Integer()),
    /** True when this delivery id was queued before (a redelivery): nothing queued again. */
    duplicateDelivery: Type.Optional(Type.Boolean()),
  },
  { title: 'WebhookReply' },
);

/** Event Grid's subscription validation handshake answer (acr). */
export const ValidationReplySchema = Type.Object(
  { validationResponse: Type.String() },
  { title: 'WebhookValidationReply' },
);
