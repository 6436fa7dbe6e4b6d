/**
 * The README's quick start (run it with `npx tsx examples/quickstart.ts`): a three-step
 * workflow with a retry, on PostgreSQL when DATABASE_URL is set, otherwise on embedded
 * PGlite in ./.durable (relative to the current directory).
 */
import { createDurable, NonRetryableError, workflow } from "../src/index.js";

type Signup = { email: string; name: string };

// A flaky mail API: the first call fails, the next one succeeds.
let mailCalls = 0;
async function sendWelcomeMail(to: string): Promise<string> {
  mailCalls++;
  if (mailCalls === 1) throw new Error("mail server busy");
  return `msg-${mailCalls}-${to}`;
}

const onboardUser = workflow<Signup>("onboard_user")
  .step("create_account", (user) => {
    if (!user.email.includes("@")) throw new NonRetryableError("not an email address");
    return { userId: `user-${user.name.toLowerCase()}`, email: user.email };
  })
  .step(
    "send_welcome",
    { retry: { maxAttempts: 3, backoff: "exponential", baseDelay: 200 } },
    async (account, ctx) => {
      ctx.log.info("sending the welcome mail", { attempt: ctx.attempt });
      const messageId = await sendWelcomeMail(account.email);
      return { ...account, messageId };
    },
  )
  .step("finish", (account) => ({ userId: account.userId, welcomed: true }));

const durable = await createDurable({
  database: process.env.DATABASE_URL, // absent: embedded PGlite in ./.durable
  workflows: [onboardUser],
});

const id = await durable.start(onboardUser, { email: "ada@example.com", name: "Ada" });
const result = await durable.result<typeof onboardUser>(id, { timeout: 30_000 });
console.log("result:", JSON.stringify(result));

await durable.close();
