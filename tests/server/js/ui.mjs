// A generative-UI component's HTML, fetched as the SDK's LoadExternalComponent
// does (POST /ui/{namespace} with the component name).
import { args, client, finish } from "./lib.mjs";

const api = await client();
const html = await api["~ui"].getComponent(args.namespace, args.name);
finish({ html });
